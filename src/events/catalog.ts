import type { CustomEventDeclaration, JsonObject, TaskDefinition } from '../registry/types';
import type { StepState, TaskState } from '../state/states';

/*
 * Payloads are type aliases rather than interfaces so that a typed event stays assignable to the
 * generic `TaskerEvent` (interfaces have no implicit index signature). None carries a task context,
 * step inputs or results: subscribers are logging and metrics, which must not see secrets.
 */

/** Every task lifecycle event (`task.*`): one committed task transition. */
export type TaskTransitionPayload = {
  task_id: number;
  task_name: string;
  namespace: string;
  version: string;
  /** Null only for a task's first transition. */
  from_state: TaskState | null;
  to_state: TaskState;
  transitioned_at: string | null;
  /** What the transition recorded (`error_message`, `reason`, `step_count`, …). */
  metadata: Record<string, unknown>;
};

/** Every step lifecycle event (`step.*`): one committed step transition. */
export type StepTransitionPayload = {
  task_id: number;
  task_name: string;
  namespace: string;
  version: string;
  step_id: number;
  step_name: string;
  /** Attempts recorded on the step when it transitioned. */
  attempt_number: number;
  retry_limit: number;
  from_state: StepState;
  to_state: StepState;
  transitioned_at: string;
  metadata: Record<string, unknown>;
};

export type ViableStepsDiscoveredPayload = {
  task_id: number;
  namespace: string;
  /** The steps that became ready and got a job, ascending. */
  step_ids: number[];
  step_count: number;
};

export type TaskEnqueuePayload = {
  task_id: number;
  task_name: string;
  namespace: string;
  version: string;
  queue_name: string;
  step_ids: number[];
  step_count: number;
};

export type StepBackoffPayload = {
  task_id: number;
  task_name: string;
  namespace: string;
  step_id: number;
  step_name: string;
  /** The attempt that failed (1-based). */
  attempt: number;
  backoff_seconds: number;
  /** `server_requested`: the handler's `retryAfterSeconds` (e.g. Retry-After); else the engine's backoff. */
  backoff_type: 'server_requested' | 'exponential';
  retry_at: string;
};

export type StepMaxRetriesReachedPayload = {
  task_id: number;
  task_name: string;
  namespace: string;
  step_id: number;
  step_name: string;
  attempts: number;
  retry_limit: number;
  error_class: string;
  error_message: string;
};

/** Fields the engine adds to whatever a handler passes to `ctx.publish`. */
export type CustomEventFields = {
  task_id: number;
  step_id: number;
  step_name: string;
  event_type: 'custom';
};

export type CustomEventPayload = JsonObject & CustomEventFields;

/** The payload type of each system event, by name. */
export type SystemEventPayloads = {
  'task.initialize_requested': TaskTransitionPayload;
  'task.start_requested': TaskTransitionPayload;
  'task.completed': TaskTransitionPayload;
  'task.failed': TaskTransitionPayload;
  'task.cancelled': TaskTransitionPayload;
  'task.retry_requested': TaskTransitionPayload;
  'task.resolved_manually': TaskTransitionPayload;
  'step.execution_requested': StepTransitionPayload;
  'step.completed': StepTransitionPayload;
  'step.failed': StepTransitionPayload;
  'step.retry_requested': StepTransitionPayload;
  'step.cancelled': StepTransitionPayload;
  'step.resolved_manually': StepTransitionPayload;
  'workflow.viable_steps_discovered': ViableStepsDiscoveredPayload;
  'observability.task.enqueue': TaskEnqueuePayload;
  'observability.step.backoff': StepBackoffPayload;
  'observability.step.max_retries_reached': StepMaxRetriesReachedPayload;
};

export type SystemEventName = keyof SystemEventPayloads;

/** The payload a subscription receives: typed for a system event's exact name, open otherwise. */
export type EventPayload<Pattern extends string> = Pattern extends SystemEventName
  ? SystemEventPayloads[Pattern]
  : Record<string, unknown>;

export type EventCategory = 'task' | 'step' | 'workflow' | 'observability' | 'custom';

export interface EventCatalogEntry {
  name: string;
  category: EventCategory;
  description: string;
  payloadFields: string[];
  /** Engine components for system events; the declaring `namespace.task@version[/step]` for custom ones. */
  firedBy: string[];
}

/** Every key of `T`, checked by the compiler: a missing or unknown key is a type error. */
function fieldsOf<T>(keys: Record<keyof T, true>): string[] {
  return Object.keys(keys);
}

const TASK_FIELDS = fieldsOf<TaskTransitionPayload>({
  task_id: true,
  task_name: true,
  namespace: true,
  version: true,
  from_state: true,
  to_state: true,
  transitioned_at: true,
  metadata: true,
});

const STEP_FIELDS = fieldsOf<StepTransitionPayload>({
  task_id: true,
  task_name: true,
  namespace: true,
  version: true,
  step_id: true,
  step_name: true,
  attempt_number: true,
  retry_limit: true,
  from_state: true,
  to_state: true,
  transitioned_at: true,
  metadata: true,
});

const CUSTOM_FIELDS = fieldsOf<CustomEventFields>({
  task_id: true,
  step_id: true,
  step_name: true,
  event_type: true,
});

type SystemEventInfo = Omit<EventCatalogEntry, 'name' | 'category'>;

const task = (description: string, firedBy: string[]): SystemEventInfo => ({
  description,
  payloadFields: TASK_FIELDS,
  firedBy,
});

const step = (description: string, firedBy: string[]): SystemEventInfo => ({
  description,
  payloadFields: STEP_FIELDS,
  firedBy,
});

/** Every event the engine itself emits, each once per occurrence, after its transaction commits. */
const SYSTEM_EVENTS: Readonly<Record<SystemEventName, SystemEventInfo>> = {
  'task.initialize_requested': task('A task was created (none → pending) or went back to pending', [
    'TaskInitializer',
    'TransitionService',
  ]),
  'task.start_requested': task('A task started: its first step was claimed (pending → in_progress)', [
    'StepExecutor',
    'TransitionService',
  ]),
  'task.completed': task('Every step of a task is done (→ complete)', [
    'TaskReconciler',
    'TransitionService',
  ]),
  'task.failed': task('A task can make no more progress because of failed steps (→ error)', [
    'TaskReconciler',
    'TransitionService',
  ]),
  'task.cancelled': task('A task was cancelled (→ cancelled)', ['TaskControl', 'TransitionService']),
  'task.retry_requested': task('A failed task was retried (error → pending)', [
    'TaskControl',
    'TaskReconciler',
    'TransitionService',
  ]),
  'task.resolved_manually': task('A failed task was resolved by hand (error → resolved_manually)', [
    'TaskControl',
    'TransitionService',
  ]),
  'step.execution_requested': step('A worker claimed a step attempt (pending → in_progress)', [
    'StepExecutor',
    'TransitionService',
  ]),
  'step.completed': step("A step's handler succeeded (in_progress → complete)", [
    'StepExecutor',
    'TransitionService',
  ]),
  'step.failed': step("A step's attempt failed (→ error)", ['StepExecutor', 'TransitionService']),
  'step.retry_requested': step('A failed step is about to be attempted again (error → pending)', [
    'StepExecutor',
    'TransitionService',
  ]),
  'step.cancelled': step('A step was cancelled (→ cancelled)', ['TaskControl', 'TransitionService']),
  'step.resolved_manually': step('A step was resolved by hand or bypassed (→ resolved_manually)', [
    'TaskControl',
    'TaskInitializer',
    'TransitionService',
  ]),
  'workflow.viable_steps_discovered': {
    description: 'Steps became ready and were enqueued (at creation, after a parent completed, on reconcile)',
    payloadFields: fieldsOf<ViableStepsDiscoveredPayload>({
      task_id: true,
      namespace: true,
      step_ids: true,
      step_count: true,
    }),
    firedBy: ['TaskInitializer', 'TaskReconciler'],
  },
  'observability.task.enqueue': {
    description: "A new task's first step jobs were enqueued",
    payloadFields: fieldsOf<TaskEnqueuePayload>({
      task_id: true,
      task_name: true,
      namespace: true,
      version: true,
      queue_name: true,
      step_ids: true,
      step_count: true,
    }),
    firedBy: ['TaskInitializer'],
  },
  'observability.step.backoff': {
    description: 'A failed step will be retried after a delay',
    payloadFields: fieldsOf<StepBackoffPayload>({
      task_id: true,
      task_name: true,
      namespace: true,
      step_id: true,
      step_name: true,
      attempt: true,
      backoff_seconds: true,
      backoff_type: true,
      retry_at: true,
    }),
    firedBy: ['StepExecutor'],
  },
  'observability.step.max_retries_reached': {
    description: 'A retryable step failed on its last allowed attempt',
    payloadFields: fieldsOf<StepMaxRetriesReachedPayload>({
      task_id: true,
      task_name: true,
      namespace: true,
      step_id: true,
      step_name: true,
      attempts: true,
      retry_limit: true,
      error_class: true,
      error_message: true,
    }),
    firedBy: ['StepExecutor'],
  },
};

export const SYSTEM_EVENT_NAMES = Object.keys(SYSTEM_EVENTS) as SystemEventName[];

function categoryOf(name: SystemEventName): EventCategory {
  return name.slice(0, name.indexOf('.')) as EventCategory;
}

/** The system events, then the custom events the given definitions declare (merged by name). */
export function eventCatalog(definitions: readonly TaskDefinition[]): EventCatalogEntry[] {
  const system = SYSTEM_EVENT_NAMES.map((name) => ({
    name,
    category: categoryOf(name),
    description: SYSTEM_EVENTS[name].description,
    payloadFields: [...SYSTEM_EVENTS[name].payloadFields],
    firedBy: [...SYSTEM_EVENTS[name].firedBy],
  }));
  return [...system, ...customEventEntries(definitions)];
}

function customEventEntries(definitions: readonly TaskDefinition[]): EventCatalogEntry[] {
  const entries = new Map<string, EventCatalogEntry>();
  const add = (declaration: CustomEventDeclaration, declaredBy: string) => {
    const entry = entries.get(declaration.name);
    if (entry) {
      entry.firedBy.push(declaredBy);
      return;
    }
    entries.set(declaration.name, {
      name: declaration.name,
      category: 'custom',
      description: declaration.description ?? 'Custom event',
      payloadFields: [...CUSTOM_FIELDS],
      firedBy: [declaredBy],
    });
  };
  for (const definition of definitions) {
    const taskName = `${definition.namespaceName}.${definition.name}@${definition.version}`;
    for (const declaration of definition.customEvents) add(declaration, taskName);
    for (const template of definition.stepTemplates) {
      for (const declaration of template.customEvents) add(declaration, `${taskName}/${template.name}`);
    }
  }
  return [...entries.values()].sort((a, b) => a.name.localeCompare(b.name));
}
