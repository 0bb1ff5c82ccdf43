import type http from 'node:http';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { resolveAuthSettings, type AuthOption, type AuthSettings } from './auth/options';
import { createEngine, type TaskerEngine } from './engine';
import type { TaskerOptions } from './interfaces';
import { analyticsRoutes } from './rest/analytics-routes';
import { diagramRoutes } from './rest/diagram-routes';
import { GraphQLService, graphqlRoutes, type GraphQLOptions } from './graphql/http';
import { SubscriptionServer, type AttachOptions } from './graphql/ws';
import { guard } from './rest/guard';
import { handlerRoutes } from './rest/handler-routes';
import {
  healthProbeRoutes,
  healthStatusRoutes,
  StartupTracker,
  type HealthOptions,
} from './rest/health-routes';
import { toHttpError } from './rest/http-errors';
import { metricsRoutes } from './rest/metrics-routes';
import { openApiRoutes } from './rest/openapi-routes';
import type { RouteContext } from './rest/route-context';
import { stepRoutes } from './rest/step-routes';
import { taskRoutes } from './rest/task-routes';

export interface TaskerRouterOptions extends TaskerOptions {
  /** Authentication and authorization; `false` runs without (refused in production unless explicit). */
  auth?: AuthOption;
  /** Largest accepted JSON body (bytes or a string like `'1mb'`); default 1 MB. */
  bodyLimit?: number | string;
  /** `/health/ready` database check timeout and `/health/status` cache duration. */
  health?: HealthOptions;
  /** GraphQL limits: `{ maxDepth, maxComplexity, introspection }`. */
  graphql?: GraphQLOptions;
}

/** An Express router with Tasker's API, plus lifecycle control. */
export interface TaskerRouter extends Router {
  /** Connects, migrates, starts workers; requests that arrive earlier wait for it. */
  ready(): Promise<void>;
  /** Closes subscription sockets, stops workers gracefully and disconnects. */
  close(): Promise<void>;
  /**
   * Serves GraphQL subscriptions (graphql-ws) on `server` at `options.path`, default
   * `/tasker/graphql`: pass `<mount path>/graphql` when the router is mounted elsewhere. Other
   * upgrade requests are left to the host's own handlers.
   */
  attach(server: http.Server, options?: AttachOptions): void;
  readonly engine: TaskerEngine;
}

/** Every path this router answers; anything else passes through to the host application untouched. */
const OWN_PATHS = ['/tasks', '/handlers', '/health', '/analytics', '/metrics', '/openapi.json', '/graphql'];

/**
 * `app.use('/tasker', tasker(options))`. The router only touches requests under its own paths (so it
 * can be mounted at the root beside other routes), adds no global middleware and installs no process
 * handlers.
 */
export function tasker(options: TaskerRouterOptions = {}): TaskerRouter {
  const engine = createEngine(options);
  let settings: AuthSettings | undefined;
  let starting: Promise<void> | undefined;
  const startup = new StartupTracker(engine.logger);

  const ready = () => {
    starting ??= startup.track(
      (async () => {
        settings = resolveAuthSettings(options.auth);
        if (settings.mode === 'disabled' && settings.warning) engine.logger.warn(settings.warning);
        await engine.ready();
      })(),
    );
    return starting;
  };
  const authSettings = () => {
    if (!settings) throw new Error('Tasker is not ready');
    return settings;
  };
  const context: RouteContext = {
    engine,
    guard: (resource, action, guardOptions) => guard(authSettings, resource, action, guardOptions),
    json: express.json({ limit: options.bodyLimit ?? '1mb' }),
    authSettings,
  };

  const graphql = new GraphQLService(options.graphql);
  const subscriptions = new SubscriptionServer({ engine, graphql, ready, authSettings });
  const router = express.Router() as TaskerRouter;
  router.use(healthProbeRoutes({ engine, startup, start: ready, options: options.health }));
  router.use(openApiRoutes());
  router.use(OWN_PATHS, (_req: Request, _res: Response, next: NextFunction) => {
    ready().then(() => next(), next);
  });
  router.use(taskRoutes(context));
  router.use(stepRoutes(context));
  router.use(handlerRoutes(context));
  router.use(diagramRoutes(context));
  router.use(healthStatusRoutes(context, options.health));
  router.use(analyticsRoutes(context));
  router.use(metricsRoutes(context));
  router.use(graphqlRoutes(context, graphql));
  router.use(OWN_PATHS, (req: Request, res: Response) => {
    res.status(404).json({ error: 'not_found', message: `No route for ${req.method} ${req.originalUrl}` });
  });
  router.use(OWN_PATHS, (error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(error);
    const { status, body, retryAfterSeconds } = toHttpError(error);
    if (status >= 500) engine.logger.error({ err: error }, 'Request failed');
    if (retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(retryAfterSeconds));
    res.status(status).json(body);
  });

  Object.defineProperties(router, {
    ready: { value: ready },
    close: {
      value: async () => {
        await subscriptions.close();
        await graphql.stop();
        await engine.close();
      },
    },
    attach: {
      value: (server: http.Server, attachOptions?: AttachOptions) =>
        subscriptions.attach(server, attachOptions),
    },
    engine: { value: engine },
  });
  return router;
}
