import type { Command } from 'commander';
import { createEngine } from '../engine';
import type { TaskerOptions, WorkerOptions } from '../interfaces';
import { loadConfigModule } from './config-module';
import { consoleLogger } from './console-logger';
import { databaseOptions } from './database-options';

interface WorkerCommandOptions {
  config?: string;
  namespaces?: string;
  concurrency?: string;
}

function workerOptions(config: TaskerOptions, cli: WorkerCommandOptions): WorkerOptions {
  const fromConfig = config.worker === false ? {} : (config.worker ?? {});
  return {
    ...fromConfig,
    ...(cli.namespaces ? { namespaces: cli.namespaces.split(',').map((n) => n.trim()) } : {}),
    ...(cli.concurrency ? { concurrency: Number(cli.concurrency) } : {}),
  };
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run step workers only (no HTTP server) until SIGTERM or SIGINT')
    .option('-c, --config <module>', 'module exporting the Tasker options (tasks, stepHandlers, …)')
    .option('-n, --namespaces <list>', 'comma-separated namespaces to serve (default: all registered)')
    .option('--concurrency <n>', 'steps run at once per namespace')
    .action(async (options: WorkerCommandOptions) => {
      const config = options.config ? await loadConfigModule(options.config) : {};
      const engine = createEngine({
        logger: consoleLogger(),
        ...config,
        databaseUrl: config.databaseUrl ?? databaseOptions().databaseUrl,
        worker: workerOptions(config, options),
      });
      await engine.ready();
      const namespaces = engine.registry.namespaces().map((n) => n.name);
      console.log(
        `Tasker worker ${process.pid} is running steps for: ${namespaces.join(', ') || '(no namespaces)'}`,
      );
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          console.log(`Received ${signal}; finishing running steps`);
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      await engine.close();
      console.log('Tasker worker stopped');
    });
}
