import { describe, expect, it } from 'vitest';
import { httpClientConfig } from '../../../src/handlers/http-client';
import { PermanentError } from '../../../src/handlers/step-errors';
import type { JsonObject } from '../../../src/registry/types';

describe('httpClientConfig', () => {
  it('reads url, headers, params and timeout from the handler config, ignoring other keys', () => {
    expect(
      httpClientConfig({
        url: 'https://api.example.com/v1',
        headers: { Authorization: 'Bearer t', 'X-Version': 2 },
        params: { api_key: 'k', ids: [1, 2] },
        timeoutSeconds: 5,
        currency: 'EUR',
      }),
    ).toEqual({
      url: 'https://api.example.com/v1',
      headers: { Authorization: 'Bearer t', 'X-Version': '2' },
      params: { api_key: 'k', ids: [1, 2] },
      timeoutSeconds: 5,
    });
  });

  it('accepts the YAML spelling timeout_seconds', () => {
    expect(httpClientConfig({ timeout_seconds: 2 }).timeoutSeconds).toBe(2);
  });

  it('has nothing configured for a step without handler config', () => {
    expect(httpClientConfig(null)).toEqual({ url: null, headers: {}, params: {}, timeoutSeconds: null });
  });

  it.each<[JsonObject, string]>([
    [{ url: 'ftp://example.com' }, 'url must be an http(s) URL, got "ftp://example.com"'],
    [{ url: 'not a url' }, 'url must be an http(s) URL, got "not a url"'],
    [{ headers: ['x'] }, 'headers must be an object'],
    [{ headers: { 'X-A': { nested: true } } }, "header 'X-A' must be a string"],
    [{ params: { q: { nested: true } } }, "param 'q' must be a string, number, boolean or array of them"],
    [{ timeoutSeconds: 0 }, 'timeoutSeconds must be a positive number, got 0'],
  ])('fails the step permanently for %j', (config, message) => {
    let thrown: unknown;
    try {
      httpClientConfig(config);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PermanentError);
    expect(thrown).toMatchObject({
      errorCode: 'INVALID_HANDLER_CONFIG',
      message: `Invalid HTTP handler config: ${message}`,
    });
  });
});
