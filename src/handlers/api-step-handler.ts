import { HttpClient } from './http-client';
import { parseRetryAfter } from './retry-after';
import { PermanentError, RetryableError } from './step-errors';
import { StepHandler, type StepContext } from './step-handler';

/** An HTTP response reduced to what a step stores; header names are lower-case. */
export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** What a response means for the step. */
export type ApiOutcome =
  | { outcome: 'success' }
  | { outcome: 'retryable'; retryAfterSeconds: number | null }
  | { outcome: 'permanent'; errorCode: string };

export const INVALID_API_RESPONSE = 'INVALID_API_RESPONSE';

const RETRY_LATER_STATUSES: ReadonlySet<number> = new Set([429, 503]);
const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 404, 422]);
const MAX_BODY_EXCERPT = 500;

/**
 * A step that calls an HTTP service. Implement `call` with the given client (base URL, headers,
 * query params and timeout come from the step's handler config; the step's abort signal is
 * attached). The response becomes the step's results on 2xx; otherwise it fails the step:
 * 429/503 retryable after Retry-After, 400/401/403/404/422 permanent, anything else retryable.
 */
export abstract class ApiStepHandler extends StepHandler {
  abstract call(ctx: StepContext, http: HttpClient): Promise<ApiResponse | Response>;

  override async process(ctx: StepContext): Promise<ApiResponse> {
    const response = await toApiResponse(await this.call(ctx, HttpClient.forStep(ctx)));
    const outcome = this.classify(response);
    if (outcome.outcome === 'success') return response;
    throw failureFor(response, outcome);
  }

  /**
   * Decides what a response means. Override to teach a handler about its service, deferring to
   * `super.classify` for everything else. An idempotent create that finds its record already there:
   *
   * ```ts
   * protected override classify(response: ApiResponse): ApiOutcome {
   *   if (response.status === 409) return { outcome: 'success' };
   *   return super.classify(response);
   * }
   * ```
   */
  protected classify(response: ApiResponse): ApiOutcome {
    return classifyHttpStatus(response);
  }
}

export function classifyHttpStatus(response: ApiResponse): ApiOutcome {
  const { status } = response;
  if (status >= 200 && status <= 299) return { outcome: 'success' };
  if (RETRY_LATER_STATUSES.has(status)) {
    return { outcome: 'retryable', retryAfterSeconds: parseRetryAfter(headerValue(response, 'retry-after')) };
  }
  if (PERMANENT_STATUSES.has(status)) return { outcome: 'permanent', errorCode: `HTTP_${status}` };
  return { outcome: 'retryable', retryAfterSeconds: null };
}

/** Accepts a WHATWG `Response` (JSON bodies parsed, others as text) or an `ApiResponse` as is. */
export async function toApiResponse(value: ApiResponse | Response): Promise<ApiResponse> {
  if (isFetchResponse(value)) {
    return { status: value.status, headers: headerRecord(value.headers), body: await readBody(value) };
  }
  if (typeof value !== 'object' || value === null || !Number.isInteger(value.status)) {
    throw new PermanentError('ApiStepHandler.call must return a Response or { status, headers, body }', {
      errorCode: INVALID_API_RESPONSE,
    });
  }
  return { status: value.status, headers: lowerCaseKeys(value.headers ?? {}), body: value.body ?? null };
}

/** Duck-typed, so a `Response` from another fetch implementation (undici, node-fetch) is accepted too. */
function isFetchResponse(value: unknown): value is Response {
  if (value instanceof Response) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<Response>;
  return typeof candidate.text === 'function' && typeof candidate.headers?.forEach === 'function';
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name] = name in record ? `${record[name]}, ${value}` : value;
  });
  return record;
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
}

function headerValue(response: ApiResponse, name: string): string | undefined {
  const entry = Object.entries(response.headers).find(([key]) => key.toLowerCase() === name);
  return entry?.[1];
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (text === '') return null;
  if (!isJsonContentType(response.headers.get('content-type'))) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isJsonContentType(contentType: string | null): boolean {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

function failureFor(response: ApiResponse, outcome: Exclude<ApiOutcome, { outcome: 'success' }>): Error {
  const excerpt = bodyExcerpt(response.body);
  const context = { status: response.status, body: excerpt };
  const message = `API call failed with ${outcome.outcome} status ${response.status}${excerpt ? `: ${excerpt}` : ''}`;
  if (outcome.outcome === 'permanent')
    return new PermanentError(message, { errorCode: outcome.errorCode, context });
  return new RetryableError(message, { retryAfterSeconds: outcome.retryAfterSeconds ?? undefined, context });
}

function bodyExcerpt(body: unknown): string | null {
  if (body === null || body === undefined) return null;
  const text = typeof body === 'string' ? body : safeStringify(body);
  return truncate(text, MAX_BODY_EXCERPT);
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Never splits a surrogate pair: jsonb rejects the lone half. */
function truncate(text: string, maxLength: number): string {
  if (text.length <= maxLength) return text;
  let end = maxLength - 1;
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end -= 1;
  return `${text.slice(0, end)}…`;
}
