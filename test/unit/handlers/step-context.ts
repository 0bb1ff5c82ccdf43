import type { JsonObject, JsonValue } from '../../../src/registry/types';
import type { StepContext } from '../../../src/handlers/step-handler';

/** The smallest StepContext a handler can run with; no engine behind it. */
export function stepContext(
  config: JsonObject | null = null,
  signal: AbortSignal = new AbortController().signal,
): StepContext {
  return {
    task: { taskId: 1, name: 'sync_orders', namespace: 'default', version: '0.1.0', context: {}, tags: [] },
    step: { workflowStepId: 10, name: 'call_api', attempts: 0, retryLimit: 3, inputs: null, config },
    results: (): JsonValue | undefined => undefined,
    signal,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    publish: () => undefined,
  };
}
