import type { RequestHandler } from 'express';
import type { AuthSettings } from '../auth/options';
import type { TaskerEngine } from '../engine';
import type { GuardOptions } from './guard';

/** What every group of routes needs: the engine, the permission guard and the JSON body parser. */
export interface RouteContext {
  engine: TaskerEngine;
  guard(resource: string, action: string, options?: GuardOptions): RequestHandler;
  /** JSON body parser with the configured size limit (routes that take a body add it themselves). */
  json: RequestHandler;
  /** The auth settings, resolved when the router became ready. */
  authSettings(): AuthSettings;
}
