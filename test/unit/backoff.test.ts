import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src/errors';
import {
  computeBackoffSeconds,
  DEFAULT_BACKOFF,
  normalizeBackoffOptions,
  retryDelay,
} from '../../src/orchestration/backoff';

const noJitter = (): number => 0.5;
const lowest = (): number => 0;
const highest = (): number => 1;

describe('backoff', () => {
  it('doubles from one second after each failed attempt when the random draw cancels the jitter', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) =>
      computeBackoffSeconds(attempt, DEFAULT_BACKOFF, noJitter),
    );
    expect(delays).toEqual([1, 2, 4, 8, 16]);
  });

  it('follows the configured initial delay and multiplier', () => {
    const options = normalizeBackoffOptions({ initialSeconds: 0.5, multiplier: 3, jitter: 0 });
    expect([1, 2, 3].map((attempt) => computeBackoffSeconds(attempt, options))).toEqual([0.5, 1.5, 4.5]);
  });

  it('jitters by at most the configured fraction either way', () => {
    expect(computeBackoffSeconds(4, DEFAULT_BACKOFF, lowest)).toBe(7.2);
    expect(computeBackoffSeconds(4, DEFAULT_BACKOFF, highest)).toBe(8.8);
    for (let draw = 0; draw < 1; draw += 0.01) {
      const delay = computeBackoffSeconds(4, DEFAULT_BACKOFF, () => draw);
      expect(delay).toBeGreaterThanOrEqual(7.2);
      expect(delay).toBeLessThanOrEqual(8.8);
    }
  });

  it('caps the delay at maxSeconds, jitter included', () => {
    expect(computeBackoffSeconds(9, DEFAULT_BACKOFF, noJitter)).toBe(256);
    expect(computeBackoffSeconds(10, DEFAULT_BACKOFF, noJitter)).toBe(300);
    expect(computeBackoffSeconds(10, DEFAULT_BACKOFF, highest)).toBe(300);
    expect(computeBackoffSeconds(10, DEFAULT_BACKOFF, lowest)).toBe(270);
    expect(computeBackoffSeconds(5000, DEFAULT_BACKOFF, noJitter)).toBe(300);
  });

  it('rounds to milliseconds', () => {
    const options = normalizeBackoffOptions({ initialSeconds: 1, multiplier: 1, jitter: 0.1 });
    expect(computeBackoffSeconds(1, options, () => 0.123456)).toBe(0.925);
  });

  it('waits nothing before a first attempt', () => {
    expect(computeBackoffSeconds(0, DEFAULT_BACKOFF, noJitter)).toBe(0);
  });

  describe('retryDelay', () => {
    it('uses the delay the server asked for, unjittered, even beyond maxSeconds', () => {
      const requested = (seconds: number) => ({ seconds, type: 'server_requested' });
      expect(retryDelay({ retryAfterSeconds: 30 }, 1, DEFAULT_BACKOFF, highest)).toEqual(requested(30));
      expect(retryDelay({ retryAfterSeconds: 0 }, 6, DEFAULT_BACKOFF, highest)).toEqual(requested(0));
      expect(retryDelay({ retryAfterSeconds: 900 }, 1, DEFAULT_BACKOFF, highest)).toEqual(requested(900));
    });

    it('falls back to the exponential backoff when the server asked for nothing', () => {
      expect(retryDelay({ retryAfterSeconds: null }, 3, DEFAULT_BACKOFF, noJitter)).toEqual({
        seconds: 4,
        type: 'exponential',
      });
    });
  });

  describe('normalizeBackoffOptions', () => {
    it('fills in the defaults', () => {
      expect(normalizeBackoffOptions()).toEqual(DEFAULT_BACKOFF);
      expect(normalizeBackoffOptions({ maxSeconds: 60 })).toEqual({ ...DEFAULT_BACKOFF, maxSeconds: 60 });
    });

    it.each([
      [{ initialSeconds: 0 }, 'Invalid backoff option initialSeconds: expected a positive number, got 0'],
      [
        { initialSeconds: Number.NaN },
        'Invalid backoff option initialSeconds: expected a positive number, got NaN',
      ],
      [{ multiplier: 0.5 }, 'Invalid backoff option multiplier: expected a number ≥ 1, got 0.5'],
      [{ maxSeconds: -1 }, 'Invalid backoff option maxSeconds: expected a positive number, got -1'],
      [
        { maxSeconds: Infinity },
        'Invalid backoff option maxSeconds: expected a positive number, got Infinity',
      ],
      [{ jitter: 1.5 }, 'Invalid backoff option jitter: expected a fraction between 0 and 1, got 1.5'],
      [{ jitter: -0.1 }, 'Invalid backoff option jitter: expected a fraction between 0 and 1, got -0.1'],
      [{ initialSeconds: 10, maxSeconds: 5 }, 'Invalid backoff: initialSeconds (10) exceeds maxSeconds (5)'],
    ])('rejects %o', (options, message) => {
      expect(() => normalizeBackoffOptions(options)).toThrow(new ConfigurationError(message));
      expect(() => normalizeBackoffOptions(options)).toThrow(ConfigurationError);
    });
  });
});
