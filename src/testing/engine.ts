import pino from 'pino';
import { createEngine, type TaskerEngine } from '../engine';
import type {
  BackoffSettings,
  RunUntilSettledOptions,
  Task,
  TaskerOptions,
  TaskRequest,
  WorkerOptions,
} from '../interfaces';

/** Workers for tests: wake-ups (LISTEN/NOTIFY) start steps at once; polling is only the fallback. */
export const TEST_WORKER_OPTIONS: Readonly<Required<Omit<WorkerOptions, 'namespaces'>>> = {
  concurrency: 20,
  batchSize: 10,
  pollIntervalMs: 200,
  heartbeatSeconds: 10,
  recoveryCheckSeconds: 1,
  eagerDispatch: true,
};

/** Retries after 50 ms, 100 ms, 200 ms… (at most 1 s), without jitter, so retry tests stay fast. */
export const TEST_BACKOFF: Readonly<Required<BackoffSettings>> = {
  initialSeconds: 0.05,
  multiplier: 2,
  maxSeconds: 1,
  jitter: 0,
};

/** How long `runTask` waits for a task to settle unless told otherwise. */
export const DEFAULT_RUN_TIMEOUT_MS = 15_000;

/** Options of `createTestEngine`: any engine option except the database, which comes from the first argument. */
export type TestEngineOptions = Omit<TaskerOptions, 'databaseUrl'>;

/**
 * An engine on `database` (a `TestDatabase` or a URL) with in-process workers, fast polling and
 * backoff, a short shutdown and a silent logger (set `TASKER_TEST_LOG_LEVEL=debug` to see it).
 * `worker` and `backoff` options are merged over the test defaults; `worker: false` runs none.
 * Call `engine.close()` when done.
 */
export function createTestEngine(
  database: { url: string } | string,
  options: TestEngineOptions = {},
): TaskerEngine {
  const { worker, backoff, ...rest } = options;
  return createEngine({
    logger: pino({ level: process.env.TASKER_TEST_LOG_LEVEL || 'silent' }),
    shutdownTimeoutMs: 5_000,
    ...rest,
    worker: worker === false ? false : { ...TEST_WORKER_OPTIONS, ...worker },
    backoff: { ...TEST_BACKOFF, ...backoff },
    databaseUrl: typeof database === 'string' ? database : database.url,
  });
}

/** Creates the task and resolves with it once it is complete, error or cancelled (`runUntilSettled`). */
export async function runTask(
  engine: TaskerEngine,
  request: TaskRequest,
  options: RunUntilSettledOptions = {},
): Promise<Task> {
  const task = await engine.createTask(request);
  return engine.runUntilSettled(task.taskId, { timeoutMs: options.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS });
}
