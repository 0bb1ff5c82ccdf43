import jwt from 'jsonwebtoken';
import { AuthenticationError } from './errors';

/**
 * Translates a jsonwebtoken failure into a client-safe message. jsonwebtoken's own messages echo
 * the expected issuer and audience, which tell a prober what to forge, so they are only kept as
 * `cause` for server logs.
 */
export function authenticationErrorFrom(error: unknown): AuthenticationError {
  return new AuthenticationError(clientMessage(error), { cause: error });
}

function clientMessage(error: unknown): string {
  if (error instanceof jwt.TokenExpiredError) return 'Token has expired';
  if (error instanceof jwt.NotBeforeError) return 'Token is not yet valid';
  if (error instanceof SyntaxError) return 'Malformed token';
  if (!(error instanceof jwt.JsonWebTokenError)) return 'Invalid token';
  const { message } = error;
  if (message === 'invalid signature') return 'Invalid token signature';
  if (message === 'invalid algorithm') return 'Token algorithm is not accepted';
  if (message === 'jwt signature is required') return 'Token is not signed';
  if (message.startsWith('jwt issuer invalid')) return 'Token issuer is not accepted';
  if (message.startsWith('jwt audience invalid')) return 'Token audience is not accepted';
  if (message === 'invalid exp value' || message === 'invalid nbf value')
    return 'Token has an invalid exp or nbf claim';
  if (message === 'jwt malformed' || message === 'invalid token' || message.startsWith('jwt must be')) {
    return 'Malformed token';
  }
  return 'Invalid token';
}
