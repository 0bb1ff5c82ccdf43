/** A committed task or step state change, as delivered to subscribers in every process. */
export interface TransitionEvent {
  /** The lifecycle event name (`task.completed`, `step.failed`, …). */
  event: string;
  taskId: number;
  namespace: string;
  /** Null for a task transition. */
  stepId: number | null;
  stepName: string | null;
  fromState: string | null;
  toState: string;
  /** ISO timestamp of the transition (database clock). */
  occurredAt: string;
}

export type TransitionListener = (event: TransitionEvent) => void;
