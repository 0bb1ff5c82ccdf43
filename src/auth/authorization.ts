import { ConfigurationError } from '../errors';
import { AuthorizationError } from './errors';
import { isKnownPermission } from './permissions';
import type { Principal } from './principal';

/** What is being accessed, beyond the resource type (reference §8.3 coordinator context). */
export interface AuthorizationContext {
  /** The id in the path (`/tasks/:id`) or the GraphQL argument. */
  resourceId?: string;
  /** The enclosing task of a step (`/tasks/:task_id/workflow_steps/:id`). */
  parentResourceId?: string;
  /** GraphQL root field name, e.g. `createTask`. */
  operation?: string;
}

export interface AuthorizationCoordinator {
  /** True allows; anything else denies. Only called for registered `resource:action` pairs. */
  authorize(
    principal: Principal,
    resource: string,
    action: string,
    context: AuthorizationContext,
  ): boolean | Promise<boolean>;
}

/** Admins may do everything; anyone else needs the explicit `"<resource>:<action>"` permission. */
export function claimsAuthorization(): AuthorizationCoordinator {
  return {
    authorize(principal, resource, action) {
      return principal.admin === true || principal.permissions.includes(`${resource}:${action}`);
    },
  };
}

/**
 * The one gate REST and GraphQL call. An unregistered pair is a typo in the caller (reference: 500,
 * `Unknown resource:action`), so it fails loudly instead of denying — and it is checked before the
 * coordinator runs so even an admin cannot mask it. Only a literal `true` grants access.
 */
export async function authorizeOrThrow(
  coordinator: AuthorizationCoordinator,
  principal: Principal,
  resource: string,
  action: string,
  context: AuthorizationContext = {},
): Promise<void> {
  if (!isKnownPermission(resource, action)) {
    throw new ConfigurationError(`Unknown resource:action '${resource}:${action}'`);
  }
  const allowed = await coordinator.authorize(principal, resource, action, context);
  if (allowed !== true) throw new AuthorizationError(resource, action);
}
