import { Arg, Ctx, ID, Query, Resolver } from 'type-graphql';
import { authorizeField, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import { toTaskType } from '../types/mapping';
import { TaskType } from '../types/task';

@Resolver(() => TaskType)
export class TaskQueries {
  @Query(() => TaskType, { nullable: true, description: 'A task by id (null when there is none)' })
  async task(
    @Arg('taskId', () => ID) taskId: string,
    @Ctx() context: GraphQLContext,
  ): Promise<TaskType | null> {
    await authorizeField(context, 'tasker.task', 'show');
    return mapped(async () => {
      const id = Number(taskId);
      if (!Number.isSafeInteger(id) || id < 1) return null;
      const task = await context.loaders.task.load(id);
      return task ? toTaskType(task) : null;
    });
  }
}
