import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars';

@ObjectType('AnalyticsPerformance', {
  description: 'System figures over a window: rates are percentages (0–100), durations seconds',
})
export class AnalyticsPerformanceType {
  @Field(() => Float) periodHours!: number;
  @Field(() => DateTimeScalar) analysisPeriodStart!: Date;
  @Field(() => DateTimeScalar) calculatedAt!: Date;
  @Field(() => Int, { description: 'Tasks not yet finished (whenever created)' }) activeTasksCount!: number;
  @Field(() => Int, { description: 'Namespaces that have tasks' }) totalNamespacesCount!: number;
  @Field(() => Int, { description: 'Task names that have tasks' }) uniqueTaskTypesCount!: number;
  @Field(() => Float, { description: 'completed / (completed + errored) in the window; 1 when none' })
  systemHealthScore!: number;
  @Field(() => Int, { description: 'Tasks created in the window' }) taskThroughput!: number;
  @Field(() => Int, { description: 'Of those, tasks now complete' }) completionCount!: number;
  @Field(() => Int, { description: 'Of those, tasks now in error' }) errorCount!: number;
  @Field(() => Float) completionRate!: number;
  @Field(() => Float) errorRate!: number;
  @Field(() => Float, { description: 'Creation → complete, over tasks completed in the window' })
  avgTaskDuration!: number;
  @Field(() => Float, { description: 'Run time, over steps completed in the window' })
  avgStepDuration!: number;
  @Field(() => Int, { description: 'Steps of the tasks created in the window' }) stepThroughput!: number;
}

@ObjectType('SlowTask', { description: 'A finished task; duration from creation to its terminal transition' })
export class SlowTaskType {
  @Field(() => ID) taskId!: number;
  @Field(() => String) taskName!: string;
  @Field(() => String) namespace!: string;
  @Field(() => String) version!: string;
  @Field(() => Float) durationSeconds!: number;
  @Field(() => Int) stepCount!: number;
  @Field(() => Int) completedSteps!: number;
  @Field(() => Int) errorSteps!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) completedAt!: Date;
  @Field(() => String, { nullable: true }) initiator!: string | null;
  @Field(() => String, { nullable: true }) sourceSystem!: string | null;
}

@ObjectType('SlowStep', { description: 'A completed step; duration from its last start to completion' })
export class SlowStepType {
  @Field(() => ID) workflowStepId!: number;
  @Field(() => Int) taskId!: number;
  @Field(() => String) stepName!: string;
  @Field(() => String) taskName!: string;
  @Field(() => String) namespace!: string;
  @Field(() => String) version!: string;
  @Field(() => Float) durationSeconds!: number;
  @Field(() => Int) attempts!: number;
  @Field(() => DateTimeScalar) createdAt!: Date;
  @Field(() => DateTimeScalar) completedAt!: Date;
  @Field(() => Boolean) retryable!: boolean;
  @Field(() => String) status!: string;
}

@ObjectType('Bottlenecks', { description: 'The slowest finished tasks and steps of a window, longest first' })
export class BottlenecksType {
  @Field(() => Float) periodHours!: number;
  @Field(() => String, { nullable: true }) namespace!: string | null;
  @Field(() => String, { nullable: true }) name!: string | null;
  @Field(() => String, { nullable: true }) version!: string | null;
  @Field(() => [SlowTaskType]) slowestTasks!: SlowTaskType[];
  @Field(() => [SlowStepType]) slowestSteps!: SlowStepType[];
}
