import type { WorkflowStep } from '../interfaces';
import type { JsonValue } from '../registry/types';

/** The failure the engine recorded for a step's latest failed attempt (kept in its results under `_error`). */
export interface RecordedStepError {
  message: string;
  errorClass: string | null;
  errorCode: string | null;
  /** The attempt that failed. */
  attempt: number | null;
}

/** The step's last recorded failure, or null when it has none. */
export function lastStepError(step: Pick<WorkflowStep, 'results'>): RecordedStepError | null {
  const recorded = field(step.results, '_error');
  const message = field(recorded, 'message');
  if (typeof message !== 'string') return null;
  const errorClass = field(recorded, 'error_class');
  const errorCode = field(recorded, 'error_code');
  const attempt = field(recorded, 'attempt');
  return {
    message,
    errorClass: typeof errorClass === 'string' ? errorClass : null,
    errorCode: typeof errorCode === 'string' ? errorCode : null,
    attempt: typeof attempt === 'number' ? attempt : null,
  };
}

function field(value: JsonValue | null | undefined, key: string): JsonValue | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value[key] : undefined;
}
