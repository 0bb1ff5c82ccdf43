import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { InvalidRequestError } from '../../errors';
import type { TaskRequest } from '../../interfaces';
import type { JsonObject } from '../../registry/types';
import { authorizeField, remember, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import {
  CancelTaskInput,
  CreateTaskInput,
  idArgument,
  omittedIfNull,
  RetryTaskInput,
  UpdateTaskInput,
} from '../inputs';
import { toTaskType } from '../types/mapping';
import { TaskType } from '../types/task';

/** The JSON scalar accepts any value; a context must be an object (a JSON-encoded string is refused). */
function taskContext(value: unknown): JsonObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError('context must be a JSON object', [
      { path: '/context', message: 'must be a JSON object' },
    ]);
  }
  return value as JsonObject;
}

function toTaskRequest(input: CreateTaskInput): TaskRequest {
  return {
    name: input.name,
    namespace: omittedIfNull(input.namespace),
    version: omittedIfNull(input.version),
    context: taskContext(input.context),
    initiator: omittedIfNull(input.initiator),
    sourceSystem: omittedIfNull(input.sourceSystem),
    reason: omittedIfNull(input.reason),
    tags: omittedIfNull(input.tags),
    bypassSteps: omittedIfNull(input.bypassSteps),
  };
}

/** `createTask`, `updateTask`, `cancelTask`, `retryTask`: each checks its permission before anything else. */
@Resolver(() => TaskType)
export class TaskMutations {
  @Mutation(() => TaskType, {
    nullable: true,
    description: 'Creates a task from a registered definition (tasker.task:create)',
  })
  async createTask(
    @Arg('input', () => CreateTaskInput) input: CreateTaskInput,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType> {
    await authorizeField(context, 'tasker.task', 'create', { operation: 'createTask' });
    return mapped(async () =>
      toTaskType(remember(context, await context.engine.createTask(toTaskRequest(input)))),
    );
  }

  @Mutation(() => TaskType, {
    nullable: true,
    description: "Changes a task's reason and/or tags (tasker.task:update)",
  })
  async updateTask(
    @Arg('input', () => UpdateTaskInput) input: UpdateTaskInput,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType> {
    await authorizeField(context, 'tasker.task', 'update', {
      operation: 'updateTask',
      resourceId: input.taskId,
    });
    return mapped(async () => {
      const task = remember(
        context,
        await context.engine.updateTask(idArgument(input.taskId, 'taskId'), {
          reason: omittedIfNull(input.reason),
          tags: omittedIfNull(input.tags),
        }),
      );
      return toTaskType(task);
    });
  }

  @Mutation(() => TaskType, {
    nullable: true,
    description: 'Cancels a task and its unfinished steps (tasker.task:cancel)',
  })
  async cancelTask(
    @Arg('input', () => CancelTaskInput) input: CancelTaskInput,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType> {
    await authorizeField(context, 'tasker.task', 'cancel', {
      operation: 'cancelTask',
      resourceId: input.taskId,
    });
    return mapped(async () =>
      toTaskType(remember(context, await context.engine.cancelTask(idArgument(input.taskId, 'taskId')))),
    );
  }

  @Mutation(() => TaskType, {
    nullable: true,
    description: 'Runs a task in error again; failed steps get fresh attempts (tasker.task:retry)',
  })
  async retryTask(
    @Arg('input', () => RetryTaskInput) input: RetryTaskInput,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType> {
    await authorizeField(context, 'tasker.task', 'retry', {
      operation: 'retryTask',
      resourceId: input.taskId,
    });
    return mapped(async () =>
      toTaskType(remember(context, await context.engine.retryTask(idArgument(input.taskId, 'taskId')))),
    );
  }
}
