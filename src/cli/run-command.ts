import { InvalidArgumentError, type Command } from 'commander';
import { createEngine, type TaskerEngine } from '../engine';
import type { Task, TaskerOptions } from '../interfaces';
import { loadConfigModule } from './config-module';
import { consoleLogger } from './console-logger';
import { databaseOptions } from './database-options';
import { lineProgress, taskJson, terminalProgress, type ProgressView } from './run-progress';
import { loadDefinitions, parseTaskReference, readContextFile, type TaskReference } from './run-inputs';
import { createAndWatch, type TaskObserver, type WatchOutcome } from './task-watch';
import { exitWithUsageCode, isUsageError, USAGE_EXIT_CODE } from './usage-error';

interface RunCommandOptions {
  version?: string;
  context?: string;
  config?: string;
  definitions?: string;
  wait?: boolean;
  work?: boolean;
  timeout?: number;
  json?: boolean;
}

/** `--timeout` ran out before the task settled (the convention of timeout(1)). */
export const TIMEOUT_EXIT_CODE = 124;
const INTERRUPTED_EXIT_CODE = 130;

function positiveSeconds(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new InvalidArgumentError('expected a number of seconds > 0');
  return parsed;
}

/** 0 when the task succeeded, 1 when it failed or was cancelled. */
function exitCodeFor(task: Task, outcome: WatchOutcome): number {
  if (outcome === 'timeout') return TIMEOUT_EXIT_CODE;
  if (outcome === 'interrupted') return INTERRUPTED_EXIT_CODE;
  return task.status === 'complete' || task.status === 'resolved_manually' ? 0 : 1;
}

async function engineFor(reference: TaskReference, options: RunCommandOptions): Promise<TaskerEngine> {
  const config: TaskerOptions = options.config ? await loadConfigModule(options.config) : {};
  const definitions = options.definitions ? loadDefinitions(options.definitions) : [];
  const fromConfig = config.worker === false ? {} : (config.worker ?? {});
  return createEngine({
    logger: consoleLogger('warn'),
    ...config,
    tasks: [...(config.tasks ?? []), ...definitions],
    databaseUrl: config.databaseUrl ?? databaseOptions().databaseUrl,
    worker: options.work ? { ...fromConfig, namespaces: [reference.namespace] } : false,
  });
}

function interruption(): { promise: Promise<void>; dispose(): void } {
  let dispose = () => undefined as void;
  const promise = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    dispose = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    };
  });
  return { promise, dispose };
}

function progressView(json: boolean, startedAt: number): ProgressView | undefined {
  if (json) return undefined;
  return process.stdout.isTTY ? terminalProgress(process.stdout, startedAt) : lineProgress(process.stdout);
}

const SILENT: TaskObserver = {
  created: () => undefined,
  transition: () => undefined,
  snapshot: () => undefined,
};

async function createAndFollow(
  engine: TaskerEngine,
  create: () => Promise<Task>,
  options: RunCommandOptions,
): Promise<number> {
  const startedAt = Date.now();
  const view = progressView(Boolean(options.json), startedAt);
  const interrupt = interruption();
  try {
    const { task, outcome } = await createAndWatch(engine, create, view ?? SILENT, {
      timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
      interrupt: interrupt.promise,
    });
    const note =
      outcome === 'timeout'
        ? `stopped waiting after --timeout ${options.timeout} s`
        : outcome === 'interrupted'
          ? 'stopped waiting (interrupted)'
          : undefined;
    if (view) view.finished(task, Date.now() - startedAt, note);
    else console.log(JSON.stringify(taskJson(task), null, 2));
    return exitCodeFor(task, outcome);
  } finally {
    interrupt.dispose();
  }
}

async function run(taskArgument: string, options: RunCommandOptions): Promise<number> {
  const reference = parseTaskReference(taskArgument);
  const context = options.context === undefined ? {} : readContextFile(options.context);
  const engine = await engineFor(reference, options);
  try {
    const create = () =>
      engine.createTask({
        ...reference,
        version: options.version,
        context,
        initiator: 'tasker run',
        sourceSystem: 'cli',
        reason: 'started from the command line',
      });
    if (options.wait || options.work) return await createAndFollow(engine, create, options);
    const task = await create();
    console.log(
      options.json
        ? JSON.stringify({ taskId: task.taskId, task: task.fullName, status: task.status })
        : task.taskId,
    );
    return 0;
  } finally {
    await engine.close();
  }
}

export function registerRunCommand(program: Command): void {
  const command = program
    .command('run')
    .description('create a task; with --wait, follow its steps until it completes (exit 0) or fails (exit 1)')
    .argument('<task>', 'the task as <namespace>/<name> (or <name> in the default namespace)')
    .option('--version <version>', "the definition's version (default: the latest registered)")
    .option('--context <file>', 'JSON file with the task context, - for standard input (default: {})')
    .option(
      '-c, --config <module>',
      'module exporting the Tasker options (tasks, stepHandlers, …), as for `tasker worker`',
    )
    .option(
      '--definitions <path>',
      'YAML task definition file, or a folder of them (also read: ./config/tasker/tasks)',
    )
    .option(
      '--wait',
      'follow the task until it is complete, error or cancelled (steps run in `tasker worker` processes)',
    )
    .option(
      '--work',
      "run the steps in this process (the task's namespace only; needs the handlers from --config); implies --wait",
    )
    .option('--timeout <seconds>', 'with --wait: give up waiting after this long (exit 124)', positiveSeconds)
    .option('--json', 'print JSON: {taskId, task, status}, or with --wait the final task with its steps')
    .addHelpText(
      'after',
      '\nExit status: 0 created (or, with --wait, complete), 1 error or cancelled, 2 usage error\n' +
        '(bad context file, unknown task, invalid context), 124 --timeout reached, 130 interrupted.',
    )
    .action(async (taskArgument: string, options: RunCommandOptions) => {
      try {
        process.exitCode = await run(taskArgument, options);
      } catch (error) {
        if (!isUsageError(error)) throw error;
        console.error((error as Error).message);
        process.exitCode = USAGE_EXIT_CODE;
      }
    });
  exitWithUsageCode(command);
}
