import type { AuthRequest } from './authenticator';
import { AuthenticationError } from './errors';

/**
 * Upper bound on a token's length. HTTP servers cap header size, but graphql-ws connection params
 * arrive in a WebSocket message that may be megabytes long; refuse before decoding anything.
 */
export const MAX_TOKEN_LENGTH = 16 * 1024;

/**
 * The token of `Authorization: Bearer <token>`. A bare token without the scheme is accepted too,
 * like the reference; any other scheme (`Basic …`) is refused rather than misread as a token.
 */
export function bearerTokenFrom(request: AuthRequest): string {
  const value = authorizationHeader(request.headers).trim();
  if (value.length > MAX_TOKEN_LENGTH) throw new AuthenticationError('Token is too large');
  if (value === '' || value.toLowerCase() === 'bearer') {
    throw new AuthenticationError('Missing bearer token');
  }
  const space = value.search(/\s/);
  if (space === -1) return value;
  if (value.slice(0, space).toLowerCase() !== 'bearer') {
    throw new AuthenticationError('Unsupported authorization scheme; use Bearer');
  }
  const token = value.slice(space).trim();
  if (/\s/.test(token)) throw new AuthenticationError('Malformed Authorization header');
  return token;
}

function authorizationHeader(headers: AuthRequest['headers']): string {
  const key = 'authorization' in headers ? 'authorization' : findAuthorizationKey(headers);
  const value: unknown = key === undefined ? undefined : headers[key];
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return singleHeaderValue(value);
  if (typeof value !== 'string') throw new AuthenticationError('Malformed Authorization header');
  return value;
}

/** graphql-ws callers may build the headers object by hand, so do not rely on Node's lower-casing. */
function findAuthorizationKey(headers: AuthRequest['headers']): string | undefined {
  return Object.keys(headers).find((key) => key.toLowerCase() === 'authorization');
}

function singleHeaderValue(values: unknown[]): string {
  if (values.length === 0) return '';
  if (values.length > 1) throw new AuthenticationError('Multiple Authorization headers');
  const [value] = values;
  if (typeof value !== 'string') throw new AuthenticationError('Malformed Authorization header');
  return value;
}
