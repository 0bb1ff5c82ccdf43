import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { startExamples, type RunningExamples } from '../../examples';
import type { Logger, TaskRequest } from '../interfaces';
import { tasker, type TaskerRouter } from '../router';
import { quickstartContext, quickstartHandlers, quickstartTask } from './quickstart';

export const DEMO_MOUNT_PATH = '/tasker';

export interface DemoServerOptions {
  /** 0 picks a free port. */
  port: number;
  host: string;
  databaseUrl?: string;
  logger: Logger;
}

export interface DemoServer {
  /** `http://<host>:<port>`, with the port actually bound. */
  url: string;
  router: TaskerRouter;
  /** Stops taking requests, lets running steps finish, stops the example services. */
  close(): Promise<void>;
}

/**
 * The `tasker start` server: Express with `tasker()` mounted at /tasker, the quick start and every
 * example registered, workers in this process and GraphQL subscriptions attached. Without auth
 * (the router warns; under NODE_ENV=production it refuses to start, as it should).
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const running = await startExamples();
  let router: TaskerRouter | undefined;
  let server: http.Server | undefined;
  try {
    router = tasker({
      databaseUrl: options.databaseUrl,
      tasks: [quickstartTask, ...running.tasks],
      stepHandlers: { ...quickstartHandlers, ...running.stepHandlers },
      logger: options.logger,
    });
    const app = express();
    app.use(DEMO_MOUNT_PATH, router);
    server = http.createServer(app);
    router.attach(server, { path: `${DEMO_MOUNT_PATH}/graphql` });
    await router.ready();
    await listen(server, options.port, options.host);
  } catch (error) {
    await shutdown(server, router, running);
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${urlHost(options.host)}:${port}`,
    router,
    close: () => shutdown(server, router, running),
  };
}

export function quickstartRequest(): TaskRequest {
  return { name: quickstartTask.name, namespace: quickstartTask.namespaceName, context: quickstartContext };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

async function shutdown(
  server: http.Server | undefined,
  router: TaskerRouter | undefined,
  running: RunningExamples,
): Promise<void> {
  if (server?.listening) {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await router?.close();
    server.closeAllConnections();
    await closed;
  } else {
    await router?.close();
  }
  await running.close();
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
