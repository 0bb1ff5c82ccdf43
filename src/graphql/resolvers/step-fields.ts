import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { mapped } from '../errors';
import { toStepType } from '../types/mapping';
import { NamedStepType, StepTransitionType } from '../types/relations';
import { WorkflowStepType } from '../types/task';

/** Steps of the same task by id: they come with the task, which list queries have loaded already. */
async function stepsOfTask(
  context: GraphQLContext,
  step: WorkflowStepType,
  ids: readonly number[],
): Promise<WorkflowStepType[]> {
  const task = await context.loaders.task.load(step.taskId);
  const byId = new Map(task?.steps.map((s) => [s.workflowStepId, s]));
  return ids.flatMap((id) => {
    const found = byId.get(id);
    return found ? [toStepType(found)] : [];
  });
}

/** Relations of a step, each loaded in one batch for every step of the response. */
@Resolver(() => WorkflowStepType)
export class StepFields {
  @FieldResolver(() => [WorkflowStepType], { description: 'The steps this one depends on' })
  parents(@Root() step: WorkflowStepType, @Ctx() context: GraphQLContext): Promise<WorkflowStepType[]> {
    return mapped(() => stepsOfTask(context, step, step.parentStepIds));
  }

  @FieldResolver(() => [WorkflowStepType], { description: 'The steps that depend on this one' })
  children(@Root() step: WorkflowStepType, @Ctx() context: GraphQLContext): Promise<WorkflowStepType[]> {
    return mapped(() => stepsOfTask(context, step, step.childStepIds));
  }

  @FieldResolver(() => NamedStepType, { nullable: true })
  namedStep(@Root() step: WorkflowStepType, @Ctx() context: GraphQLContext): Promise<NamedStepType | null> {
    return mapped(() => context.loaders.namedStep.load(step.namedStepId));
  }

  @FieldResolver(() => [StepTransitionType], { description: 'Every state change, oldest first' })
  transitions(@Root() step: WorkflowStepType, @Ctx() context: GraphQLContext): Promise<StepTransitionType[]> {
    return mapped(() => context.loaders.stepTransitions.load(step.workflowStepId));
  }
}
