import { Field, ID, ObjectType } from 'type-graphql';
import type { TransitionEvent } from '../../events/transition-event';
import { DateTimeScalar } from '../scalars';

/**
 * One committed state change of a task or of one of its steps, as delivered to subscriptions.
 * `task` and `step` are field resolvers (resolvers/subscriptions.ts) that read the current rows.
 */
@ObjectType('TaskEvent', { description: 'A committed state change of a task or of one of its steps' })
export class TaskEventType {
  @Field(() => String, { description: 'Lifecycle event name: task.completed, step.failed, …' })
  event!: string;
  @Field(() => ID) taskId!: number;
  @Field(() => ID, { nullable: true, description: 'Null for a task transition' }) stepId!: number | null;
  @Field(() => String, { nullable: true, description: 'Null for a task transition' })
  stepName!: string | null;
  @Field(() => String, { nullable: true, description: "Null for a task's first transition" })
  fromState!: string | null;
  @Field(() => String) toState!: string;
  @Field(() => DateTimeScalar, { description: 'When the transition was written (database clock)' })
  occurredAt!: Date;
}

export function toTaskEventType(event: TransitionEvent): TaskEventType {
  return Object.assign(new TaskEventType(), {
    event: event.event,
    taskId: event.taskId,
    stepId: event.stepId,
    stepName: event.stepName,
    fromState: event.fromState,
    toState: event.toState,
    occurredAt: new Date(event.occurredAt),
  });
}
