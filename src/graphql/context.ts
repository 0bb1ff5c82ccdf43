import { GraphQLError } from 'graphql';
import { authorizeOrThrow, type AuthorizationContext } from '../auth/authorization';
import type { AuthSettings } from '../auth/options';
import type { Principal } from '../auth/principal';
import type { TaskerEngine } from '../engine';
import type { Task } from '../interfaces';
import { toGraphQLError } from './errors';
import { createLoaders, type Loaders } from './loaders';

/** Built per request (HTTP) or per operation (subscriptions); never shared between callers. */
export interface GraphQLContext {
  engine: TaskerEngine;
  auth: AuthSettings;
  /** The authenticated caller; absent when authentication is disabled. */
  principal?: Principal;
  loaders: Loaders;
}

export function createContext(
  engine: TaskerEngine,
  auth: AuthSettings,
  principal?: Principal,
): GraphQLContext {
  return { engine, auth, principal, loaders: createLoaders(engine) };
}

/**
 * Checks one root field's permission. A denial is a field error (`extensions.code = FORBIDDEN`),
 * so the rest of the operation still runs. `target` (the field name, the ids in its arguments) is
 * handed to the authorization coordinator.
 */
export async function authorizeField(
  context: GraphQLContext,
  resource: string,
  action: string,
  target: AuthorizationContext = {},
): Promise<void> {
  if (context.auth.mode === 'disabled') return;
  if (!context.principal)
    throw new GraphQLError('Not authenticated', { extensions: { code: 'UNAUTHENTICATED' } });
  try {
    await authorizeOrThrow(context.auth.authorization, context.principal, resource, action, target);
  } catch (error) {
    throw toGraphQLError(error);
  }
}

/** After a mutation: later fields of the same request must see the task as it is now. */
export function remember(context: GraphQLContext, task: Task): Task {
  context.loaders.task.clear(task.taskId).prime(task.taskId, task);
  return task;
}
