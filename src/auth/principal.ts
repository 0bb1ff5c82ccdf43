/**
 * Who is making a request. Authenticators build a fresh Principal for every request and callers
 * pass it along explicitly; it is never stored on a shared object, because the reference's JWT
 * example cached the user on a singleton and leaked one request's identity into the next.
 */
export interface Principal {
  /** Stable user id (`sub`, else `user_id`), or null when the token names none. */
  id: string | null;
  /** The verified token claims, for custom authorization coordinators. */
  claims: Record<string, unknown>;
  /** Granted `resource:action` strings, e.g. `'tasker.task:create'`. */
  permissions: string[];
  /** Admins pass every authorization check of `claimsAuthorization()`. */
  admin: boolean;
}

/** The default claims → principal mapping of `jwtAuthenticator` (reference §8.2, §8.3). */
export function principalFromClaims(claims: Record<string, unknown>): Principal {
  return {
    id: idFromClaims(claims),
    claims: { ...claims },
    permissions: permissionsFromClaims(claims),
    admin: isAdminClaims(claims),
  };
}

function idFromClaims(claims: Record<string, unknown>): string | null {
  return asId(claims.sub) ?? asId(claims.user_id);
}

function asId(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function permissionsFromClaims(claims: Record<string, unknown>): string[] {
  const { permissions } = claims;
  if (!Array.isArray(permissions)) return [];
  if (!permissions.every((permission) => typeof permission === 'string')) return [];
  return [...permissions];
}

function isAdminClaims(claims: Record<string, unknown>): boolean {
  return (
    claims.admin === true ||
    claims.role === 'admin' ||
    (Array.isArray(claims.roles) && claims.roles.includes('admin'))
  );
}
