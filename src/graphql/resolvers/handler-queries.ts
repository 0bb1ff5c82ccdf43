import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import { LATEST_VERSION } from '../../registry/task-registry';
import { DEFAULT_NAMESPACE } from '../../registry/types';
import { findHandler, requestedVersion } from '../../rest/handler-discovery';
import { authorizeField, type GraphQLContext } from '../context';
import { mapped } from '../errors';
import { HandlerNamespaceType, HandlerType } from '../types/handler';
import { toHandlerNamespaces, toHandlerType } from '../types/mapping';

/** Discovery of the task definitions registered with this engine (REST `/handlers`). */
@Resolver()
export class HandlerQueries {
  @Query(() => [HandlerNamespaceType], {
    nullable: true,
    description: 'Namespaces with their task definitions and versions, by name',
  })
  async handlers(@Ctx() context: GraphQLContext): Promise<HandlerNamespaceType[]> {
    await authorizeField(context, 'tasker.handler', 'index');
    return toHandlerNamespaces(context.engine.registry);
  }

  @Query(() => HandlerType, {
    nullable: true,
    description: 'A task definition with its step templates and DAG (null when unknown)',
  })
  async handler(
    @Arg('namespace', () => String, { defaultValue: DEFAULT_NAMESPACE }) namespace: string,
    @Arg('name', () => String) name: string,
    @Arg('version', () => String, {
      defaultValue: LATEST_VERSION,
      description: "'latest' (the highest registered version) or an exact semantic version",
    })
    version: string,
    @Ctx() context: GraphQLContext,
  ): Promise<HandlerType | null> {
    await authorizeField(context, 'tasker.handler', 'show');
    return mapped(async () => {
      const definition = findHandler(context.engine.registry, namespace, name, requestedVersion(version));
      return definition ? toHandlerType(definition) : null;
    });
  }
}
