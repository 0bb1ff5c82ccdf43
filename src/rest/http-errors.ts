import { AuthenticationError, AuthorizationError } from '../auth/errors';
import { isConnectionError } from '../db/transaction';
import {
  ContextValidationError,
  IllegalTransitionError,
  InvalidRequestError,
  TaskerError,
  type ValidationDetail,
} from '../errors';

export interface ErrorBody {
  error: string;
  message: string;
  details?: ValidationDetail[];
  from?: string;
  to?: string;
}

export interface HttpError {
  status: number;
  body: ErrorBody;
  /** Seconds for a Retry-After header. */
  retryAfterSeconds?: number;
}

/** How long a client should wait before retrying while the database is unreachable. */
const DATABASE_RETRY_AFTER_SECONDS = 5;

/** An error raised by Express's body parser (or another http-errors style middleware). */
interface ParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
}

function parserError(error: unknown): HttpError | undefined {
  const candidate = error as ParserError;
  const status = candidate?.status ?? candidate?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  if (candidate.type === 'entity.too.large') {
    return { status: 413, body: { error: 'payload_too_large', message: 'The request body is too large' } };
  }
  if (candidate.type === 'entity.parse.failed') {
    return { status: 400, body: { error: 'invalid_json', message: 'The request body is not valid JSON' } };
  }
  return {
    status,
    body: {
      error: 'bad_request',
      message: candidate.expose && candidate.message ? candidate.message : 'Bad request',
    },
  };
}

/** The one place where errors become HTTP statuses and JSON bodies `{ error, message, details? }`. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof AuthenticationError || error instanceof AuthorizationError) {
    return { status: error.status, body: error.toResponseBody() };
  }
  if (error instanceof ContextValidationError) {
    return {
      status: 400,
      body: { error: 'invalid_context', message: error.message, details: error.details },
    };
  }
  if (error instanceof InvalidRequestError) {
    return { status: 400, body: { error: 'bad_request', message: error.message, details: error.details } };
  }
  if (error instanceof IllegalTransitionError) {
    return {
      status: 409,
      body: { error: 'invalid_transition', message: error.message, from: error.fromState, to: error.toState },
    };
  }
  if (error instanceof TaskerError) {
    switch (error.code) {
      case 'NOT_FOUND':
        return { status: 404, body: { error: 'not_found', message: error.message } };
      case 'CONFLICT':
        return { status: 409, body: { error: 'conflict', message: error.message } };
      case 'INVALID_DEFINITION':
        return { status: 400, body: { error: 'invalid_definition', message: error.message } };
      default:
        return { status: 500, body: { error: 'configuration_error', message: error.message } };
    }
  }
  if (isConnectionError(error)) {
    return {
      status: 503,
      body: { error: 'database_unavailable', message: 'The database is unavailable; retry shortly' },
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  return (
    parserError(error) ?? { status: 500, body: { error: 'internal_error', message: 'Internal server error' } }
  );
}
