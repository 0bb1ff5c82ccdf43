import type { NonEmptyArray } from 'type-graphql';
import { HandlerQueries } from './handler-queries';
import { StepFields } from './step-fields';
import { SystemQueries } from './system-queries';
import { TaskFields } from './task-fields';
import { StepMutations } from './step-mutations';
import { TaskSubscriptions } from './subscriptions';
import { TaskMutations } from './task-mutations';
import { TaskQueries } from './task-queries';

/** Every resolver class of the schema; `graphql/schema.graphql` is generated from these. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const RESOLVERS: NonEmptyArray<Function> = [
  TaskQueries,
  TaskFields,
  StepFields,
  HandlerQueries,
  SystemQueries,
  TaskMutations,
  StepMutations,
  TaskSubscriptions,
];
