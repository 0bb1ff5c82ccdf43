import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authorizeOrThrow } from '../auth/authorization';
import type { AuthSettings } from '../auth/options';
import { requestContext } from './request-context';

export interface GuardOptions {
  /** Checked only when this returns true (e.g. `/metrics` when `protectMetrics` is off). */
  when?: (settings: Extract<AuthSettings, { mode: 'enforced' }>) => boolean;
}

/**
 * Authenticates the request (once; the principal is stored on the request) and checks one
 * `resource:action` permission. With authentication disabled it lets everything through.
 */
export function guard(
  settings: () => AuthSettings,
  resource: string,
  action: string,
  options: GuardOptions = {},
): RequestHandler {
  return async (req: Request, _res: Response, next: NextFunction) => {
    try {
      const current = settings();
      if (current.mode === 'disabled' || (options.when && !options.when(current))) return next();
      const context = requestContext(req);
      context.principal ??= await current.authenticator.authenticate({ headers: req.headers });
      await authorizeOrThrow(current.authorization, context.principal, resource, action, {
        resourceId: typeof req.params.id === 'string' ? req.params.id : undefined,
        parentResourceId: typeof req.params.task_id === 'string' ? req.params.task_id : undefined,
      });
      next();
    } catch (error) {
      next(error);
    }
  };
}
