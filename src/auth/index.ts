export {
  type AuthRequest,
  type Authenticator,
  type JwtAuthenticatorOptions,
  type JwtClaims,
  jwtAuthenticator,
} from './authenticator';
export {
  authorizeOrThrow,
  claimsAuthorization,
  type AuthorizationContext,
  type AuthorizationCoordinator,
} from './authorization';
export { bearerTokenFrom, MAX_TOKEN_LENGTH } from './bearer-token';
export { AuthenticationError, AuthorizationError, type AuthErrorBody } from './errors';
export { HMAC_ALGORITHMS, MIN_SECRET_BYTES, PUBLIC_KEY_ALGORITHMS, type JwtAlgorithm } from './jwt-config';
export {
  NO_AUTH_WARNING,
  PRODUCTION_WITHOUT_AUTH_MESSAGE,
  resolveAuthSettings,
  type AuthOption,
  type AuthOptions,
  type AuthSettings,
} from './options';
export {
  isKnownPermission,
  isPermission,
  PERMISSIONS,
  TASKER_RESOURCE_DESCRIPTIONS,
  type Permission,
  type PermissionDefinition,
  type TaskerAction,
  type TaskerResource,
} from './permissions';
export { principalFromClaims, type Principal } from './principal';
