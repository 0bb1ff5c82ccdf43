import express, { type Router } from 'express';
import { noCache } from './health-routes';
import type { RouteContext } from './route-context';

/**
 * `GET /metrics`: the engine's prom-client registry in Prometheus text format. Needs
 * `tasker.metrics:index` only when `auth.protectMetrics` is on (the default with auth).
 */
export function metricsRoutes({ engine, guard }: RouteContext): Router {
  const router = express.Router();

  router.get(
    '/metrics',
    guard('tasker.metrics', 'index', { when: (settings) => settings.protectMetrics }),
    async (_req, res) => {
      noCache(res);
      const registry = engine.metrics;
      if (!registry) {
        res.status(503).json({
          error: 'metrics_disabled',
          message: 'Metrics are disabled (the `metrics: false` option)',
        });
        return;
      }
      let body: string;
      try {
        body = await registry.metrics();
      } catch (error) {
        engine.logger.error({ err: error }, 'Collecting metrics failed');
        res.status(503).json({ error: 'metrics_failed', message: 'Collecting metrics failed' });
        return;
      }
      res.type(registry.contentType).send(body);
    },
  );

  return router;
}
