import jwt from 'jsonwebtoken';
import { ConfigurationError } from '../errors';
import { bearerTokenFrom } from './bearer-token';
import { AuthenticationError } from './errors';
import { compileJwtConfig, type JwtKeyOptions, type JwtVerification } from './jwt-config';
import { authenticationErrorFrom } from './jwt-errors';
import { principalFromClaims, type Principal } from './principal';

/**
 * The least a request must look like to be authenticated: Express requests fit, and so does the
 * `{ headers: { authorization: connectionParams.authorization } }` the graphql-ws layer builds.
 */
export interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
}

export interface Authenticator {
  /** Resolves a fresh Principal for this request, or rejects with AuthenticationError. */
  authenticate(request: AuthRequest): Promise<Principal>;
}

export type JwtClaims = Record<string, unknown>;

export interface JwtAuthenticatorOptions extends JwtKeyOptions {
  /** Maps verified claims to a principal (may look the user up); default `principalFromClaims`. */
  principal?: (claims: JwtClaims) => Principal | Promise<Principal>;
}

/**
 * Verifies `Authorization: Bearer <jwt>` against a pinned algorithm allow-list and one key. Options
 * are validated here, at construction, so a misconfigured app fails at startup, not per request.
 * The returned object holds configuration only; nothing about a request outlives its call.
 */
export function jwtAuthenticator(options: JwtAuthenticatorOptions): Authenticator {
  const verification = compileJwtConfig(options);
  const toPrincipal = principalMapper(options.principal);
  return {
    async authenticate(request: AuthRequest): Promise<Principal> {
      const claims = verifyToken(bearerTokenFrom(request), verification);
      return toPrincipal(claims);
    },
  };
}

function principalMapper(
  mapper: JwtAuthenticatorOptions['principal'],
): (claims: JwtClaims) => Principal | Promise<Principal> {
  if (mapper === undefined) return principalFromClaims;
  if (typeof mapper !== 'function') {
    throw new ConfigurationError('jwtAuthenticator: `principal` must be a function');
  }
  return mapper;
}

function verifyToken(token: string, verification: JwtVerification): JwtClaims {
  assertAlgorithmAllowed(token, verification);
  let payload: string | jwt.JwtPayload;
  try {
    payload = jwt.verify(token, verification.key, { ...verification.verifyOptions, complete: false });
  } catch (error) {
    throw authenticationErrorFrom(error);
  }
  if (typeof payload !== 'object' || payload === null) throw new AuthenticationError('Malformed token');
  // jsonwebtoken only checks `exp` when present; a token without one would be valid forever.
  if (typeof payload.exp !== 'number') {
    throw new AuthenticationError('Token has no expiry (exp claim is required)');
  }
  return { ...payload };
}

/** Checked before verification so that `alg: none` and algorithm swaps get a precise message. */
function assertAlgorithmAllowed(token: string, verification: JwtVerification): void {
  const alg = headerAlgorithm(token);
  if (alg.toLowerCase() === 'none') {
    throw new AuthenticationError('Unsigned tokens (alg: none) are not accepted');
  }
  if (!(verification.algorithms as string[]).includes(alg)) {
    throw new AuthenticationError('Token algorithm is not accepted');
  }
}

function headerAlgorithm(token: string): string {
  let decoded: jwt.Jwt | null;
  try {
    decoded = jwt.decode(token, { complete: true });
  } catch (error) {
    throw authenticationErrorFrom(error);
  }
  const alg: unknown = decoded?.header.alg;
  if (typeof alg !== 'string') throw new AuthenticationError('Malformed token');
  return alg;
}
