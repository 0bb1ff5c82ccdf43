import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type PubSub } from 'type-graphql';
import { RESOLVERS } from './resolvers';

/**
 * type-graphql insists on a PubSub as soon as a schema has subscriptions, but Tasker's are built
 * with `subscribe` functions over `engine.onTransition` (resolvers/subscriptions.ts), not topics.
 */
const NO_TOPICS: PubSub = {
  publish() {
    throw new Error('Tasker subscriptions do not use PubSub topics');
  },
  subscribe() {
    throw new Error('Tasker subscriptions do not use PubSub topics');
  },
};

/** Builds the executable schema from the resolver classes (the same for every router). */
export function buildTaskerSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: RESOLVERS, validate: false, pubSub: NO_TOPICS });
}
