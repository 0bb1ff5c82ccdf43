import type { Transaction } from '../db/transaction';
import type { SystemEventName, SystemEventPayloads } from './catalog';
import type { EventBus } from './event-bus';

/** Publishes a system event once `tx` commits; nothing is published when it rolls back. */
export function publishAfterCommit<N extends SystemEventName>(
  tx: Transaction,
  bus: EventBus,
  name: N,
  payload: SystemEventPayloads[N],
): void {
  tx.afterCommit(() => bus.publish(name, payload));
}

/** `workflow.viable_steps_discovered`, once the jobs of the steps that became ready are committed. */
export function publishViableSteps(
  tx: Transaction,
  bus: EventBus,
  taskId: number,
  namespace: string,
  stepIds: readonly number[],
): void {
  const sorted = [...stepIds].sort((a, b) => a - b);
  publishAfterCommit(tx, bus, 'workflow.viable_steps_discovered', {
    task_id: taskId,
    namespace,
    step_ids: sorted,
    step_count: sorted.length,
  });
}
