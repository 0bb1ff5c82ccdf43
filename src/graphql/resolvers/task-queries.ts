import { Arg, Args, Ctx, ID, Query, Resolver } from 'type-graphql';
import type { TaskListQuery } from '../../orchestration/task-queries';
import { authorizeField, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import { parseId } from '../ids';
import { primeTasks } from '../loaders';
import { toStepType, toTaskType } from '../types/mapping';
import { AnnotationTypeType } from '../types/relations';
import { TaskListArgs, TasksByAnnotationArgs, TasksByStatusArgs } from '../types/task-args';
import { TaskType, WorkflowStepType } from '../types/task';

async function listTasks(context: GraphQLContext, query: TaskListQuery): Promise<TaskType[]> {
  const { tasks } = await context.engine.listTasks(query);
  primeTasks(context.loaders, tasks);
  return tasks.map(toTaskType);
}

/** `engine.listTasks` validates the order (anything but asc or desc is BAD_USER_INPUT). */
function sortOrder(value: string): TaskListQuery['sortOrder'] {
  return value as TaskListQuery['sortOrder'];
}

@Resolver(() => TaskType)
export class TaskQueries {
  @Query(() => [TaskType], {
    nullable: true,
    description: 'Tasks, newest request first unless sorted otherwise',
  })
  async tasks(
    @Args(() => TaskListArgs) args: TaskListArgs,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType[]> {
    await authorizeField(context, 'tasker.task', 'index');
    return mapped(() =>
      listTasks(context, {
        ...args,
        sortOrder: sortOrder(args.sortOrder),
        namespace: args.namespace ?? undefined,
        name: args.name ?? undefined,
        version: args.version ?? undefined,
        status: args.status ?? undefined,
      }),
    );
  }

  @Query(() => [TaskType], { nullable: true, description: 'Tasks whose current state is `status`' })
  async tasksByStatus(
    @Args(() => TasksByStatusArgs) args: TasksByStatusArgs,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType[]> {
    await authorizeField(context, 'tasker.task', 'index');
    return mapped(() => listTasks(context, { ...args, sortOrder: sortOrder(args.sortOrder) }));
  }

  @Query(() => [TaskType], {
    nullable: true,
    description:
      'Tasks with an annotation of the given type whose key has the given value, newest request first',
  })
  async tasksByAnnotation(
    @Args(() => TasksByAnnotationArgs) args: TasksByAnnotationArgs,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType[]> {
    await authorizeField(context, 'tasker.task', 'index');
    return mapped(async () => {
      const tasks = await context.engine.tasksByAnnotation({
        annotationType: args.annotationType,
        key: args.annotationKey,
        value: args.annotationValue,
        limit: args.limit,
        offset: args.offset,
      });
      primeTasks(context.loaders, tasks);
      return tasks.map(toTaskType);
    });
  }

  @Query(() => TaskType, { nullable: true, description: 'A task by id (null when there is none)' })
  async task(
    @Arg('taskId', () => ID) taskId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType | null> {
    await authorizeField(context, 'tasker.task', 'show');
    return mapped(async () => {
      const id = parseId(taskId);
      const task = id === undefined ? null : await context.loaders.task.load(id);
      return task ? toTaskType(task) : null;
    });
  }

  @Query(() => WorkflowStepType, {
    nullable: true,
    description: 'A step of a task (null when the task has no such step)',
  })
  async step(
    @Arg('taskId', () => ID) taskId: string,
    @Arg('stepId', () => ID) stepId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<WorkflowStepType | null> {
    await authorizeField(context, 'tasker.workflow_step', 'show');
    return mapped(async () => {
      const [id, wanted] = [parseId(taskId), parseId(stepId)];
      if (id === undefined || wanted === undefined) return null;
      const step = (await context.loaders.task.load(id))?.steps.find((s) => s.workflowStepId === wanted);
      return step ? toStepType(step) : null;
    });
  }

  @Query(() => [AnnotationTypeType], { nullable: true, description: 'Every annotation type, by name' })
  async annotationTypes(@Ctx() context: GraphQLContext): Promise<AnnotationTypeType[]> {
    await authorizeField(context, 'tasker.task', 'index');
    return mapped(() => context.engine.annotationTypes());
  }
}
