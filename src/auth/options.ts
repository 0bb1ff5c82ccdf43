import { ConfigurationError } from '../errors';
import type { Authenticator } from './authenticator';
import { claimsAuthorization, type AuthorizationCoordinator } from './authorization';

export interface AuthOptions {
  authenticator: Authenticator;
  /** Default `claimsAuthorization()`. */
  authorization?: AuthorizationCoordinator;
  /** Require `tasker.metrics:index` / `tasker.analytics:index` on `/metrics` and `/analytics/*`; default true. */
  protectMetrics?: boolean;
}

/** The `auth` option of `tasker(options)`: `false` opts out explicitly; omitting it is refused in production. */
export type AuthOption = AuthOptions | false | undefined;

export type AuthSettings =
  | {
      mode: 'enforced';
      authenticator: Authenticator;
      authorization: AuthorizationCoordinator;
      protectMetrics: boolean;
    }
  | { mode: 'disabled'; warning?: string };

export const NO_AUTH_WARNING =
  'Tasker: no `auth` configured; every endpoint is open to anyone who can reach it. ' +
  'Configure `auth: { authenticator }` or pass `auth: false` to acknowledge running without it.';

export const PRODUCTION_WITHOUT_AUTH_MESSAGE =
  'Tasker refuses to start in production (NODE_ENV=production) without authentication: ' +
  'configure `auth` (e.g. `auth: { authenticator: jwtAuthenticator({ ... }) }`) or pass ' +
  '`auth: false` explicitly to run without it.';

/**
 * Pure: decides once, at startup, how requests are guarded. Forgetting `auth` is tolerated locally
 * (with a warning to log once) but never in production, where an open workflow API is a breach.
 */
export function resolveAuthSettings(
  auth: AuthOption,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): AuthSettings {
  if (auth === false) return { mode: 'disabled' };
  if (auth === undefined || auth === null) {
    if (nodeEnv === 'production') throw new ConfigurationError(PRODUCTION_WITHOUT_AUTH_MESSAGE);
    return { mode: 'disabled', warning: NO_AUTH_WARNING };
  }
  return enforcedSettings(auth);
}

function enforcedSettings(auth: AuthOptions): AuthSettings {
  if (typeof auth !== 'object') {
    throw new ConfigurationError(
      '`auth` must be an object `{ authenticator, authorization?, protectMetrics? }` or false',
    );
  }
  if (typeof auth.authenticator?.authenticate !== 'function') {
    throw new ConfigurationError('`auth.authenticator` must have an `authenticate(request)` method');
  }
  if (auth.authorization !== undefined && typeof auth.authorization?.authorize !== 'function') {
    throw new ConfigurationError(
      '`auth.authorization` must have an `authorize(principal, resource, action, context)` method',
    );
  }
  if (auth.protectMetrics !== undefined && typeof auth.protectMetrics !== 'boolean') {
    throw new ConfigurationError('`auth.protectMetrics` must be a boolean');
  }
  return {
    mode: 'enforced',
    authenticator: auth.authenticator,
    authorization: auth.authorization ?? claimsAuthorization(),
    protectMetrics: auth.protectMetrics ?? true,
  };
}
