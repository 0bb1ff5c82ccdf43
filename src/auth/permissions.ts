/**
 * The permission registry: every `resource:action` pair an endpoint or GraphQL field may check.
 * It is plain data so the router, the GraphQL layer and the docs read the same list; a pair that is
 * not here is a programming error (see `authorizeOrThrow`), never a silent deny.
 */

/** Resource descriptions as in the Rails reference (`ResourceConstants::RESOURCES`). */
export const TASKER_RESOURCE_DESCRIPTIONS = Object.freeze({
  'tasker.task': 'Tasker workflow tasks',
  'tasker.workflow_step': 'Individual workflow steps',
  'tasker.health_status': 'Health status endpoint information',
  'tasker.handler': 'Handler discovery and metadata',
  'tasker.metrics': 'Prometheus metrics endpoint',
  'tasker.analytics': 'Analytics and performance monitoring endpoints',
} as const);

const PERMISSION_LIST = [
  { resource: 'tasker.task', action: 'index', description: 'List and search tasks; subscribe to taskEvents' },
  {
    resource: 'tasker.task',
    action: 'show',
    description: 'Read one task; subscribe to taskUpdated and stepUpdated',
  },
  { resource: 'tasker.task', action: 'create', description: 'Create a task' },
  { resource: 'tasker.task', action: 'update', description: "Update a task's metadata" },
  // Kept for parity with the reference registry: DELETE and cancelTask check `cancel`, not `destroy`.
  {
    resource: 'tasker.task',
    action: 'destroy',
    description: 'Reserved (reference parity); deletion checks cancel',
  },
  { resource: 'tasker.task', action: 'retry', description: 'Retry a task that ended in error' },
  { resource: 'tasker.task', action: 'cancel', description: 'Cancel a task (REST DELETE, cancelTask)' },
  { resource: 'tasker.workflow_step', action: 'index', description: "List a task's workflow steps" },
  { resource: 'tasker.workflow_step', action: 'show', description: 'Read one workflow step' },
  { resource: 'tasker.workflow_step', action: 'update', description: 'Update a workflow step' },
  {
    resource: 'tasker.workflow_step',
    action: 'destroy',
    description: 'Reserved (reference parity); deletion checks cancel',
  },
  { resource: 'tasker.workflow_step', action: 'retry', description: 'Retry a workflow step' },
  {
    resource: 'tasker.workflow_step',
    action: 'cancel',
    description: 'Cancel a workflow step (REST DELETE, cancelStep)',
  },
  {
    resource: 'tasker.workflow_step',
    action: 'resolve',
    description: 'Resolve a workflow step manually (REST resolve, resolveStep)',
  },
  { resource: 'tasker.health_status', action: 'index', description: 'Read the detailed health status' },
  { resource: 'tasker.handler', action: 'index', description: 'List handler namespaces and handlers' },
  { resource: 'tasker.handler', action: 'show', description: "Read one handler's metadata" },
  { resource: 'tasker.metrics', action: 'index', description: 'Scrape Prometheus metrics' },
  { resource: 'tasker.analytics', action: 'index', description: 'Read performance and bottleneck analytics' },
] as const;

type PermissionEntry = (typeof PERMISSION_LIST)[number];

export type TaskerResource = keyof typeof TASKER_RESOURCE_DESCRIPTIONS;
export type TaskerAction = PermissionEntry['action'];
/** One of the 19 `resource:action` strings, e.g. `'tasker.task:create'`. */
export type Permission = PermissionEntry extends infer E
  ? E extends { resource: infer R extends string; action: infer A extends string }
    ? `${R}:${A}`
    : never
  : never;

export interface PermissionDefinition {
  readonly permission: Permission;
  readonly resource: TaskerResource;
  readonly action: TaskerAction;
  readonly description: string;
}

/** The 19 permissions, in registry order. Frozen: no caller can widen what is grantable. */
export const PERMISSIONS: readonly PermissionDefinition[] = Object.freeze(
  PERMISSION_LIST.map((entry) =>
    Object.freeze({ ...entry, permission: `${entry.resource}:${entry.action}` as Permission }),
  ),
);

export function isKnownPermission(resource: string, action: string): boolean {
  return PERMISSIONS.some((entry) => entry.resource === resource && entry.action === action);
}

export function isPermission(value: string): value is Permission {
  return PERMISSIONS.some((entry) => entry.permission === value);
}
