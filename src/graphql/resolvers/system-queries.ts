import { Arg, Ctx, Float, Int, Query, Resolver } from 'type-graphql';
import { DEFAULT_BOTTLENECK_LIMIT, periodStart } from '../../orchestration/analytics-queries';
import { authorizeField, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import { AnalyticsPerformanceType, BottlenecksType } from '../types/analytics';
import { HealthStatusType } from '../types/health';
import { toHealthStatusType } from '../types/mapping';

/** System health and analytics, from the SQL functions `get_system_health_counts_v01` and friends. */
@Resolver()
export class SystemQueries {
  @Query(() => HealthStatusType, { nullable: true, description: 'Task and step counts and connection use' })
  async healthStatus(@Ctx() context: GraphQLContext): Promise<HealthStatusType> {
    await authorizeField(context, 'tasker.health_status', 'index');
    return mapped(async () => toHealthStatusType(await context.engine.healthCounts()));
  }

  @Query(() => AnalyticsPerformanceType, {
    nullable: true,
    description: 'System figures over the last `periodHours` hours',
  })
  async analyticsPerformance(
    @Arg('periodHours', () => Float, { defaultValue: 1, description: 'Window length in hours, > 0' })
    periodHours: number,
    @Ctx() context: GraphQLContext,
  ): Promise<AnalyticsPerformanceType> {
    await authorizeField(context, 'tasker.analytics', 'index');
    return mapped(async () => ({
      periodHours,
      ...(await context.engine.analyticsPerformance(periodStart(periodHours))),
    }));
  }

  @Query(() => BottlenecksType, {
    nullable: true,
    description: 'The slowest tasks and steps created in the last `periodHours` hours',
  })
  async bottlenecks(
    @Arg('namespace', () => String, { nullable: true }) namespace: string | null | undefined,
    @Arg('name', () => String, { nullable: true }) name: string | null | undefined,
    @Arg('version', () => String, { nullable: true }) version: string | null | undefined,
    @Arg('periodHours', () => Float, { defaultValue: 24, description: 'Window length in hours, > 0' })
    periodHours: number,
    @Arg('limit', () => Int, {
      defaultValue: DEFAULT_BOTTLENECK_LIMIT,
      description: 'How many tasks and steps each; at most 100 (larger values are clamped)',
    })
    limit: number,
    @Ctx() context: GraphQLContext,
  ): Promise<BottlenecksType> {
    await authorizeField(context, 'tasker.analytics', 'index');
    return mapped(async () => {
      const slowest = await context.engine.bottlenecks({
        since: periodStart(periodHours),
        limit,
        namespace: namespace ?? undefined,
        name: name ?? undefined,
        version: version ?? undefined,
      });
      return {
        periodHours,
        namespace: namespace ?? null,
        name: name ?? null,
        version: version ?? null,
        ...slowest,
      };
    });
  }
}
