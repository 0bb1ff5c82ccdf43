import { TaskerError } from '../errors';

export interface AuthErrorBody {
  error: 'Unauthorized' | 'Forbidden';
  message: string;
}

/**
 * The request carries no credentials, or credentials that do not verify. HTTP 401; on
 * subscriptions the socket is closed with 4403. The message is safe to show the client; the
 * underlying library error, if any, is kept as `cause` for logs only.
 */
export class AuthenticationError extends TaskerError {
  readonly status = 401;

  constructor(message: string, options?: { cause?: unknown }) {
    super('UNAUTHENTICATED', message, options);
  }

  toResponseBody(): AuthErrorBody {
    return { error: 'Unauthorized', message: this.message };
  }
}

/** An authenticated principal lacks the permission an operation requires. HTTP 403, GraphQL FORBIDDEN. */
export class AuthorizationError extends TaskerError {
  readonly status = 403;
  readonly resource: string;
  readonly action: string;

  constructor(resource: string, action: string) {
    super('FORBIDDEN', `Not authorized to ${action} on ${resource}`);
    this.resource = resource;
    this.action = action;
  }

  toResponseBody(): AuthErrorBody {
    return { error: 'Forbidden', message: this.message };
  }
}
