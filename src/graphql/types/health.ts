import { Field, Float, Int, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars';

@ObjectType('StateCounts', { description: 'How many tasks or steps are in each state' })
export class StateCountsType {
  @Field(() => Int) total!: number;
  @Field(() => Int) pending!: number;
  @Field(() => Int) inProgress!: number;
  @Field(() => Int) complete!: number;
  @Field(() => Int) error!: number;
  @Field(() => Int) cancelled!: number;
  @Field(() => Int) resolvedManually!: number;
}

@ObjectType('RetryCounts')
export class RetryCountsType {
  @Field(() => Int, { description: 'Failed steps that will be retried' }) retryableErrors!: number;
  @Field(() => Int, { description: 'Failed steps with no attempts left' }) exhaustedRetries!: number;
  @Field(() => Int, { description: 'Failed steps waiting for their backoff' }) inBackoff!: number;
}

@ObjectType('DatabaseUsage')
export class DatabaseUsageType {
  @Field(() => Int) activeConnections!: number;
  @Field(() => Int) maxConnections!: number;
  @Field(() => Float, { description: 'Active connections as a percentage of the maximum' })
  connectionUtilization!: number;
}

@ObjectType('HealthStatus', { description: 'System counts and whether they look healthy' })
export class HealthStatusType {
  @Field(() => Boolean) healthy!: boolean;
  @Field(() => String, { description: 'healthy or unhealthy' }) status!: string;
  @Field(() => StateCountsType) tasks!: StateCountsType;
  @Field(() => StateCountsType) steps!: StateCountsType;
  @Field(() => RetryCountsType) retries!: RetryCountsType;
  @Field(() => DatabaseUsageType) database!: DatabaseUsageType;
  @Field(() => DateTimeScalar) timestamp!: Date;
}
