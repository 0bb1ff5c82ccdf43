import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../context';
import { mapped } from '../errors';
import { NamedTaskType, TaskAnnotationType, TaskTransitionType } from '../types/relations';
import { TaskType } from '../types/task';

/** Relations of a task, each loaded in one batch for every task of the response. */
@Resolver(() => TaskType)
export class TaskFields {
  @FieldResolver(() => NamedTaskType, {
    nullable: true,
    description: 'The definition the task was created from',
  })
  namedTask(@Root() task: TaskType, @Ctx() context: GraphQLContext): Promise<NamedTaskType | null> {
    return mapped(() => context.loaders.namedTask.load(task.taskId));
  }

  @FieldResolver(() => [TaskAnnotationType])
  taskAnnotations(@Root() task: TaskType, @Ctx() context: GraphQLContext): Promise<TaskAnnotationType[]> {
    return mapped(() => context.loaders.annotations.load(task.taskId));
  }

  @FieldResolver(() => [TaskTransitionType], { description: 'Every state change, oldest first' })
  transitions(@Root() task: TaskType, @Ctx() context: GraphQLContext): Promise<TaskTransitionType[]> {
    return mapped(() => context.loaders.taskTransitions.load(task.taskId));
  }
}
