import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../../src/handlers/retry-after';

const now = new Date('1994-11-06T08:49:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('30', now)).toBe(30);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
    expect(parseRetryAfter('1.5', now)).toBe(1.5);
  });

  it('reads the three HTTP date forms as seconds from now', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(37);
    expect(parseRetryAfter('Sunday, 06-Nov-94 08:49:37 GMT', now)).toBe(37);
    expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(37);
  });

  it('reads an HTTP date as GMT whatever the local time zone', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37', now)).toBe(37);
  });

  it('clamps a date in the past to zero', () => {
    expect(parseRetryAfter('Sat, 05 Nov 1994 08:49:37 GMT', now)).toBe(0);
  });

  it.each([
    undefined,
    null,
    '',
    '   ',
    'soon',
    '-5',
    '1e3',
    '12abc',
    'Sun, 99 Nov 1994 99:99:99 GMT',
    '9'.repeat(400),
  ])('gives null for %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });
});
