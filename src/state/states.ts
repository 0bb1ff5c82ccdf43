/** Task and step states, and which state changes are allowed (reference §2), as plain data. */
/** Tasks and steps have the same six states; each has its own transition table below. */
const LIFECYCLE_STATES = [
  'pending',
  'in_progress',
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
] as const;

export const TASK_STATES = LIFECYCLE_STATES;
export type TaskState = (typeof TASK_STATES)[number];

export const STEP_STATES = LIFECYCLE_STATES;
export type StepState = (typeof STEP_STATES)[number];

/** from → allowed targets. A pair missing here can never happen. */
export const TASK_TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  pending: ['in_progress', 'error', 'cancelled'],
  in_progress: ['pending', 'complete', 'error', 'cancelled'],
  error: ['pending', 'resolved_manually'],
  complete: ['cancelled'],
  resolved_manually: ['cancelled'],
  cancelled: [],
};

export const STEP_TRANSITIONS: Readonly<Record<StepState, readonly StepState[]>> = {
  pending: ['in_progress', 'error', 'cancelled', 'resolved_manually'],
  in_progress: ['complete', 'error', 'cancelled'],
  error: ['pending', 'resolved_manually'],
  complete: [],
  cancelled: [],
  resolved_manually: [],
};

/** Parent states that let a child step run. */
export const DEPENDENCY_SATISFYING_STEP_STATES: readonly StepState[] = ['complete', 'resolved_manually'];

export const TERMINAL_TASK_STATES: readonly TaskState[] = [
  'complete',
  'error',
  'cancelled',
  'resolved_manually',
];

/**
 * Event published for each transition, keyed `from→to` (`null` = no previous row). Reference §2.3.
 */
export const TASK_TRANSITION_EVENTS: Readonly<Record<string, string>> = {
  'null→pending': 'task.initialize_requested',
  'in_progress→pending': 'task.initialize_requested',
  'null→in_progress': 'task.start_requested',
  'pending→in_progress': 'task.start_requested',
  'null→complete': 'task.completed',
  'in_progress→complete': 'task.completed',
  'null→error': 'task.failed',
  'pending→error': 'task.failed',
  'in_progress→error': 'task.failed',
  'null→cancelled': 'task.cancelled',
  'pending→cancelled': 'task.cancelled',
  'in_progress→cancelled': 'task.cancelled',
  'complete→cancelled': 'task.cancelled',
  'resolved_manually→cancelled': 'task.cancelled',
  'null→resolved_manually': 'task.resolved_manually',
  'error→resolved_manually': 'task.resolved_manually',
  'error→pending': 'task.retry_requested',
};

export const STEP_TRANSITION_EVENTS: Readonly<Record<string, string>> = {
  'null→pending': 'step.initialize_requested',
  'null→in_progress': 'step.execution_requested',
  'pending→in_progress': 'step.execution_requested',
  'null→complete': 'step.completed',
  'in_progress→complete': 'step.completed',
  'null→error': 'step.failed',
  'pending→error': 'step.failed',
  'in_progress→error': 'step.failed',
  'null→cancelled': 'step.cancelled',
  'pending→cancelled': 'step.cancelled',
  'in_progress→cancelled': 'step.cancelled',
  'null→resolved_manually': 'step.resolved_manually',
  'pending→resolved_manually': 'step.resolved_manually',
  'error→resolved_manually': 'step.resolved_manually',
  'error→pending': 'step.retry_requested',
};

export function isTaskState(value: string): value is TaskState {
  return (TASK_STATES as readonly string[]).includes(value);
}

export function isStepState(value: string): value is StepState {
  return (STEP_STATES as readonly string[]).includes(value);
}

/** Why a transition is not allowed by the table, or null when it is. The initial state is `pending`. */
export function transitionTableRefusal<S extends string>(
  table: Readonly<Record<S, readonly S[]>>,
  from: S,
  to: S,
): string | null {
  if (from === to) return `already in state '${to}'`;
  if (!table[from].includes(to)) return `'${from}' → '${to}' is not an allowed transition`;
  return null;
}

export function transitionEventName(
  events: Readonly<Record<string, string>>,
  from: string | null,
  to: string,
): string | undefined {
  return events[`${from ?? 'null'}→${to}`];
}
