import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { AuthorizationContext } from '../../auth/authorization';
import { NotFoundError } from '../../errors';
import type { Task } from '../../interfaces';
import type { JsonObject, JsonValue } from '../../registry/types';
import { authorizeField, remember, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import { CancelStepInput, idArgument, omittedIfNull, ResolveStepInput, UpdateStepInput } from '../inputs';
import { toStepType } from '../types/mapping';
import { WorkflowStepType } from '../types/task';

interface StepInput {
  taskId: string;
  stepId: string;
}

function target(operation: string, input: StepInput): AuthorizationContext {
  return { operation, resourceId: input.stepId, parentResourceId: input.taskId };
}

function stepIds(input: StepInput): { taskId: number; stepId: number } {
  return { taskId: idArgument(input.taskId, 'taskId'), stepId: idArgument(input.stepId, 'stepId') };
}

/** The changed step, read from the task the engine returns after the change. */
function stepOf(task: Task, stepId: number): WorkflowStepType {
  const step = task.steps.find((candidate) => candidate.workflowStepId === stepId);
  if (!step) throw new NotFoundError(`Workflow step ${stepId} not found in task ${task.taskId}`);
  return toStepType(step);
}

/** `updateStep`, `cancelStep`, `resolveStep`: each checks its permission before anything else. */
@Resolver(() => WorkflowStepType)
export class StepMutations {
  @Mutation(() => WorkflowStepType, {
    nullable: true,
    description:
      "Changes a step's retry limit and/or inputs; raising the limit of an exhausted step retries it " +
      '(tasker.workflow_step:update)',
  })
  async updateStep(
    @Arg('input', () => UpdateStepInput) input: UpdateStepInput,
    @Ctx() context: GraphQLContext,
  ): Promise<WorkflowStepType> {
    await authorizeField(context, 'tasker.workflow_step', 'update', target('updateStep', input));
    return mapped(async () => {
      const { taskId, stepId } = stepIds(input);
      const task = remember(
        context,
        await context.engine.updateStep(taskId, stepId, {
          retryLimit: omittedIfNull(input.retryLimit),
          // The engine checks that inputs are a JSON object.
          inputs: omittedIfNull(input.inputs) as JsonObject | undefined,
        }),
      );
      return stepOf(task, stepId);
    });
  }

  @Mutation(() => WorkflowStepType, {
    nullable: true,
    description: 'Cancels a pending or running step (tasker.workflow_step:cancel)',
  })
  async cancelStep(
    @Arg('input', () => CancelStepInput) input: CancelStepInput,
    @Ctx() context: GraphQLContext,
  ): Promise<WorkflowStepType> {
    await authorizeField(context, 'tasker.workflow_step', 'cancel', target('cancelStep', input));
    return mapped(async () => {
      const { taskId, stepId } = stepIds(input);
      return stepOf(remember(context, await context.engine.cancelStep(taskId, stepId)), stepId);
    });
  }

  @Mutation(() => WorkflowStepType, {
    nullable: true,
    description:
      'Resolves a pending or failed step by hand, optionally with results; its dependants can then run ' +
      '(tasker.workflow_step:resolve)',
  })
  async resolveStep(
    @Arg('input', () => ResolveStepInput) input: ResolveStepInput,
    @Ctx() context: GraphQLContext,
  ): Promise<WorkflowStepType> {
    await authorizeField(context, 'tasker.workflow_step', 'resolve', target('resolveStep', input));
    return mapped(async () => {
      const { taskId, stepId } = stepIds(input);
      const task = remember(
        context,
        await context.engine.resolveStep(taskId, stepId, input.results as JsonValue | undefined),
      );
      return stepOf(task, stepId);
    });
  }
}
