import { GraphQLError } from 'graphql';
import { AuthenticationError, AuthorizationError } from '../auth/errors';
import { ContextValidationError, InvalidRequestError, TaskerError } from '../errors';

/** The one place where engine errors become GraphQL errors with `extensions.code`. */
export function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof AuthenticationError) {
    return new GraphQLError(error.message, { extensions: { code: 'UNAUTHENTICATED' } });
  }
  if (error instanceof AuthorizationError) {
    return new GraphQLError(error.message, { extensions: { code: 'FORBIDDEN' } });
  }
  if (error instanceof ContextValidationError || error instanceof InvalidRequestError) {
    return new GraphQLError(error.message, {
      extensions: { code: 'BAD_USER_INPUT', details: error.details },
    });
  }
  if (error instanceof TaskerError) {
    const code =
      {
        NOT_FOUND: 'NOT_FOUND',
        CONFLICT: 'CONFLICT',
        ILLEGAL_TRANSITION: 'CONFLICT',
        INVALID_DEFINITION: 'BAD_USER_INPUT',
        INVALID_REQUEST: 'BAD_USER_INPUT',
        CONTEXT_INVALID: 'BAD_USER_INPUT',
      }[error.code as string] ?? 'INTERNAL_SERVER_ERROR';
    return new GraphQLError(error.message, { extensions: { code } });
  }
  return new GraphQLError('Internal server error', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/** Runs a resolver body, mapping whatever it throws. */
export async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toGraphQLError(error);
  }
}
