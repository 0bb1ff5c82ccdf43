import { isJsonObject } from '../registry/json';
import type { JsonObject, JsonValue } from '../registry/types';
import type { StepContext } from './step-handler';
import { PermanentError } from './step-errors';

type QueryScalar = string | number | boolean;
export type QueryValue = QueryScalar | null | undefined | readonly QueryScalar[];
export type QueryParams = Record<string, QueryValue>;

export interface HttpRequestOptions {
  /** Sent as JSON with `Content-Type: application/json`. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Added to the step's `params`; a key given here replaces the configured one. Arrays repeat the key. */
  query?: QueryParams;
}

/** The HTTP part of a step's `handlerConfig`; other keys are the handler's own business. */
export interface HttpClientConfig {
  /** Base URL that request paths are appended to; without it, paths must be absolute URLs. */
  url: string | null;
  headers: Record<string, string>;
  params: QueryParams;
  /** Per request, on top of the step's own timeout. */
  timeoutSeconds: number | null;
}

export const INVALID_HANDLER_CONFIG = 'INVALID_HANDLER_CONFIG';

const DEFAULT_HEADERS: Readonly<Record<string, string>> = Object.freeze({ accept: 'application/json' });
/** Node timers overflow past a signed 32-bit millisecond count (~24.8 days) and then fire at once. */
const MAX_TIMER_MILLISECONDS = 2 ** 31 - 1;
const ABSOLUTE_URL = /^[a-z][a-z\d+.-]*:/i;

/**
 * Reads `url`, `headers`, `params` and `timeoutSeconds` (YAML: `timeout_seconds`) from a step's
 * handler config. A bad value fails the step permanently: no retry can fix its configuration.
 */
export function httpClientConfig(handlerConfig: JsonObject | null): HttpClientConfig {
  const config = handlerConfig ?? {};
  return {
    url: baseUrl(config.url),
    headers: headerValues(config.headers),
    params: queryParams(config.params),
    timeoutSeconds: timeoutSeconds(config.timeoutSeconds ?? config.timeout_seconds),
  };
}

/** `fetch` bound to one step: its base URL, headers and query, aborted with the step's signal. */
export class HttpClient {
  constructor(
    private readonly config: HttpClientConfig,
    private readonly signal: AbortSignal,
  ) {}

  static forStep(ctx: StepContext): HttpClient {
    return new HttpClient(httpClientConfig(ctx.step.config), ctx.signal);
  }

  async request(method: string, path: string, options: HttpRequestOptions = {}): Promise<Response> {
    const hasBody = options.body !== undefined;
    return fetch(this.url(path, options.query), {
      method: method.toUpperCase(),
      headers: this.headers(hasBody, options.headers),
      body: hasBody ? JSON.stringify(options.body) : undefined,
      signal: this.requestSignal(),
    });
  }

  get(path: string, options?: HttpRequestOptions): Promise<Response> {
    return this.request('GET', path, options);
  }

  delete(path: string, options?: HttpRequestOptions): Promise<Response> {
    return this.request('DELETE', path, options);
  }

  post(path: string, body?: unknown, options?: Omit<HttpRequestOptions, 'body'>): Promise<Response> {
    return this.request('POST', path, { ...options, body });
  }

  put(path: string, body?: unknown, options?: Omit<HttpRequestOptions, 'body'>): Promise<Response> {
    return this.request('PUT', path, { ...options, body });
  }

  patch(path: string, body?: unknown, options?: Omit<HttpRequestOptions, 'body'>): Promise<Response> {
    return this.request('PATCH', path, { ...options, body });
  }

  private url(path: string, query: QueryParams = {}): URL {
    const url = new URL(this.absolute(path));
    setQuery(url, this.config.params);
    setQuery(url, query);
    return url;
  }

  private absolute(path: string): string {
    if (ABSOLUTE_URL.test(path)) return path;
    if (this.config.url === null) {
      throw new PermanentError(
        `Request path '${path}' is relative and the step's handler config has no url`,
        {
          errorCode: INVALID_HANDLER_CONFIG,
        },
      );
    }
    const relative = path.replace(/^\/+/, '');
    return relative === '' ? this.config.url : `${this.config.url.replace(/\/+$/, '')}/${relative}`;
  }

  private headers(hasBody: boolean, extra: Record<string, string> = {}): Headers {
    const headers = new Headers(DEFAULT_HEADERS);
    if (hasBody) headers.set('content-type', 'application/json');
    for (const [name, value] of Object.entries({ ...this.config.headers, ...extra }))
      headers.set(name, value);
    return headers;
  }

  private requestSignal(): AbortSignal {
    const { timeoutSeconds } = this.config;
    if (timeoutSeconds === null) return this.signal;
    const milliseconds = Math.min(Math.ceil(timeoutSeconds * 1000), MAX_TIMER_MILLISECONDS);
    return AbortSignal.any([this.signal, AbortSignal.timeout(milliseconds)]);
  }
}

function setQuery(url: URL, params: QueryParams): void {
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    url.searchParams.delete(name);
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
}

function invalidConfig(message: string): PermanentError {
  return new PermanentError(`Invalid HTTP handler config: ${message}`, { errorCode: INVALID_HANDLER_CONFIG });
}

function baseUrl(value: JsonValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
    throw invalidConfig(`url must be an http(s) URL, got ${JSON.stringify(value)}`);
  }
  return value;
}

function headerValues(value: JsonValue | undefined): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw invalidConfig('headers must be an object');
  return Object.fromEntries(
    Object.entries(value).map(([name, header]) => {
      if (!isQueryScalar(header)) throw invalidConfig(`header '${name}' must be a string`);
      return [name, String(header)];
    }),
  );
}

function queryParams(value: JsonValue | undefined): QueryParams {
  if (value === undefined || value === null) return {};
  if (!isJsonObject(value)) throw invalidConfig('params must be an object');
  for (const [name, param] of Object.entries(value)) {
    const valid =
      param === null || isQueryScalar(param) || (Array.isArray(param) && param.every(isQueryScalar));
    if (!valid) throw invalidConfig(`param '${name}' must be a string, number, boolean or array of them`);
  }
  return value as QueryParams;
}

function timeoutSeconds(value: JsonValue | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw invalidConfig(`timeoutSeconds must be a positive number, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isQueryScalar(value: unknown): value is QueryScalar {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}
