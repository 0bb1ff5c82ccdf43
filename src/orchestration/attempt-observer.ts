/** One step attempt, as seen by observers (metrics, tracing). */
export interface StepAttempt {
  taskId: number;
  stepId: number;
  namespace: string;
  taskName: string;
  version: string;
  stepName: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** When the job became due (created, or its retry time), from pg-boss; null when unknown. */
  dueAt: Date | null;
  /** When this process claimed the job. */
  claimedAt: Date;
  /** The W3C trace context carrier stored with the task (`traceparent`, `tracestate`); null when untraced. */
  traceContext: Record<string, string> | null;
}

export interface StepAttemptResult {
  outcome: 'success' | 'failure';
  /** Handler run time, claim to outcome, in seconds. */
  durationSeconds: number;
  errorClass: string | null;
  errorMessage: string | null;
}

/**
 * Hooks around each step attempt. `run` may wrap the handler (e.g. in an active tracing span) and
 * must call `execute` exactly once; `finished` runs after the outcome is recorded. An observer that
 * throws is logged and otherwise ignored.
 */
export interface StepAttemptObserver {
  started?(attempt: StepAttempt): void;
  run?<T>(attempt: StepAttempt, execute: () => Promise<T>): Promise<T>;
  finished?(attempt: StepAttempt, result: StepAttemptResult): void;
}
