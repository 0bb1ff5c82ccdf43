import { Arg, Ctx, FieldResolver, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { SubscribeResolverData } from 'type-graphql';
import { NotFoundError } from '../../errors';
import type { TransitionEvent } from '../../events/transition-event';
import { authorizeField, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import { idArgument } from '../inputs';
import { createLoaders } from '../loaders';
import { TransitionStream } from '../transition-stream';
import { toStepType, toTaskType } from '../types/mapping';
import { TaskEventType, toTaskEventType } from '../types/task-event';
import { TaskType, WorkflowStepType } from '../types/task';

type SubscribeData = SubscribeResolverData<unknown, Record<string, string>, GraphQLContext>;

const isStepEvent = (event: TransitionEvent) => event.stepId !== null;

/**
 * The transitions of one task that `accept` lets through. The stream is opened before the task is
 * looked up, so nothing committed in between is missed; an unknown task fails with NOT_FOUND.
 */
async function taskStream(
  { args, context }: SubscribeData,
  operation: string,
  accept: (event: TransitionEvent) => boolean,
): Promise<TransitionStream> {
  await authorizeField(context, 'tasker.task', 'show', { operation, resourceId: args.taskId });
  return mapped(async () => {
    const taskId = idArgument(args.taskId, 'taskId');
    const stream = await TransitionStream.open(context.engine, {
      accept: (event) => event.taskId === taskId && accept(event),
    });
    if (!(await context.engine.getTask(taskId))) {
      await stream.return();
      throw new NotFoundError(`Task ${taskId} not found`);
    }
    return stream;
  });
}

async function namespaceStream({ args, context }: SubscribeData): Promise<TransitionStream> {
  await authorizeField(context, 'tasker.task', 'index', { operation: 'taskEvents' });
  return mapped(() =>
    TransitionStream.open(context.engine, {
      accept: (event) => !isStepEvent(event) && event.namespace === args.namespace,
    }),
  );
}

/**
 * One context serves a subscription for its whole life, so its batch loaders would cache the first
 * event's rows; fresh loaders make every event read the task as it is when the event is delivered.
 */
function delivered(event: TransitionEvent, context: GraphQLContext): TaskEventType {
  context.loaders = createLoaders(context.engine);
  return toTaskEventType(event);
}

/**
 * Live task and step transitions over graphql-ws, from every process sharing the database (they
 * arrive through PostgreSQL LISTEN/NOTIFY, see `engine.onTransition`). Permissions are checked
 * when subscribing; a denial fails that subscription with FORBIDDEN.
 */
@Resolver(() => TaskEventType)
export class TaskSubscriptions {
  @Subscription(() => TaskEventType, {
    description: 'Every task and step transition of one task, in commit order (tasker.task:show)',
    subscribe: (data: SubscribeData) => taskStream(data, 'taskUpdated', () => true),
  })
  taskUpdated(
    @Arg('taskId', () => ID) _taskId: string,
    @Root() event: TransitionEvent,
    @Ctx() context: GraphQLContext,
  ): TaskEventType {
    return delivered(event, context);
  }

  @Subscription(() => TaskEventType, {
    description: 'Every step transition of one task, in commit order (tasker.task:show)',
    subscribe: (data: SubscribeData) => taskStream(data, 'stepUpdated', isStepEvent),
  })
  stepUpdated(
    @Arg('taskId', () => ID) _taskId: string,
    @Root() event: TransitionEvent,
    @Ctx() context: GraphQLContext,
  ): TaskEventType {
    return delivered(event, context);
  }

  @Subscription(() => TaskEventType, {
    description: 'The task transitions of every task in a namespace (tasker.task:index)',
    subscribe: (data: SubscribeData) => namespaceStream(data),
  })
  taskEvents(
    @Arg('namespace', () => String) _namespace: string,
    @Root() event: TransitionEvent,
    @Ctx() context: GraphQLContext,
  ): TaskEventType {
    return delivered(event, context);
  }

  @FieldResolver(() => TaskType, {
    nullable: true,
    description: 'The task as it is when the event is delivered (it may have moved on since)',
  })
  async task(@Root() event: TaskEventType, @Ctx() context: GraphQLContext): Promise<TaskType | null> {
    return mapped(async () => {
      const task = await context.loaders.task.load(event.taskId);
      return task ? toTaskType(task) : null;
    });
  }

  @FieldResolver(() => WorkflowStepType, {
    nullable: true,
    description: 'The step as it is when the event is delivered; null for a task transition',
  })
  async step(@Root() event: TaskEventType, @Ctx() context: GraphQLContext): Promise<WorkflowStepType | null> {
    if (event.stepId === null) return null;
    return mapped(async () => {
      const task = await context.loaders.task.load(event.taskId);
      const step = task?.steps.find((candidate) => candidate.workflowStepId === event.stepId);
      return step ? toStepType(step) : null;
    });
  }
}
