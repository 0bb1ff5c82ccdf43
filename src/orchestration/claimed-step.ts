import type { ExecutionStepRow } from '../db/queries/execution';
import type { JsonValue } from '../registry/types';

/** Everything a claimed attempt needs to run its handler, read when it was claimed. */
export interface ClaimedStep {
  row: ExecutionStepRow;
  attempt: number;
  ancestors: Map<string, JsonValue>;
}
