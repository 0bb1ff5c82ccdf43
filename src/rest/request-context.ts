import type { Request } from 'express';
import type { Principal } from '../auth/principal';

/** What Tasker attaches to each request it serves (never to a shared object). */
export interface TaskerRequestContext {
  /** The authenticated caller; absent when authentication is disabled. */
  principal?: Principal;
}

declare module 'express-serve-static-core' {
  interface Request {
    tasker?: TaskerRequestContext;
  }
}

export function requestContext(req: Request): TaskerRequestContext {
  req.tasker ??= {};
  return req.tasker;
}
