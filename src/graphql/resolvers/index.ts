import type { NonEmptyArray } from 'type-graphql';
import { TaskQueries } from './task-queries';

/** Every resolver class of the schema; `graphql/schema.graphql` is generated from these. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [TaskQueries];
