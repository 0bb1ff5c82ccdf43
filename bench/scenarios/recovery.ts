import path from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { createEngine, defineTask, type TaskerEngine } from '../../src/index';
import { deferred } from '../lib/progress';
import { POOL_SIZE, WORKER } from '../lib/tasker';
import { sleep, withTimeout } from '../lib/timeout';
import type { Scenario, ScenarioContext } from '../lib/types';
import { REPO_ROOT, startWorkerProcess, type WorkerProcess } from '../lib/worker-process';

/** The lowest heartbeat the engine allows and its fastest recovery check (seconds); also in the fixture config. */
const HEARTBEAT = { heartbeatSeconds: 10, recoveryCheckSeconds: 1 } as const;
const NAMESPACE = 'bench_recovery';
const CONFIG = path.join(REPO_ROOT, 'bench', 'fixtures', 'recovery-worker.cjs');
const CLAIM_TIMEOUT_MS = 20_000;
const RECOVERY_TIMEOUT_MS = 90_000;

// Same definition as bench/fixtures/recovery-worker.cjs.
const definition = defineTask({
  name: 'recovery',
  namespaceName: NAMESPACE,
  version: '1.0.0',
  stepTemplates: [{ name: 'blocker', handlerClass: 'Block' }],
});

function logger() {
  return pino({ level: 'warn' }, pino.destination(2));
}

/**
 * Crash recovery: a separate `tasker worker` process (bench/fixtures/recovery-worker.cjs, whose
 * `blocker` handler never returns) claims a single-step task's step; once the step is in_progress in
 * the database, an in-process engine with workers starts (so it cannot take the first claim), the
 * worker process is SIGKILLed, and the time from the kill to the step's handler starting in the
 * in-process engine is measured (and to the task completing). Both use heartbeatSeconds 10 (the
 * lowest allowed) and recoveryCheckSeconds 1. `recoveryRuns` rounds, a fresh process and engine each.
 */
export const recovery: Scenario = {
  name: 'recovery',
  timeoutMs: (s) => 60_000 + s.recoveryRuns * 120_000,
  async run(ctx) {
    // A control engine without workers: migrations, createTask, getTask.
    const control = createEngine({
      databaseUrl: ctx.databaseUrl,
      tasks: [definition],
      stepHandlers: { Block: () => ({}) },
      worker: false,
      poolSize: 4,
      logger: logger(),
      shutdownTimeoutMs: 5_000,
    });
    ctx.onCleanup(() => control.close());
    await control.ready();
    const pool = new pg.Pool({
      connectionString: ctx.databaseUrl,
      max: 2,
      application_name: 'bench-recovery',
    });
    ctx.onCleanup(() => pool.end());

    const toRestart: number[] = [];
    const toComplete: number[] = [];
    for (let round = 1; round <= ctx.settings.recoveryRuns; round++) {
      const { restart, complete } = await oneRound(ctx, control, pool, round);
      toRestart.push(restart);
      toComplete.push(complete);
      ctx.progress(
        `round ${round}: kill → step running again ${Math.round(restart)} ms, → task complete ${Math.round(complete)} ms`,
      );
    }
    const settings = `heartbeat ${HEARTBEAT.heartbeatSeconds} s, recovery check ${HEARTBEAT.recoveryCheckSeconds} s`;
    const n = toRestart.length;
    ctx.record({
      metric: `SIGKILL → step handler starts elsewhere, mean (n=${n}; ${settings})`,
      value: mean(toRestart),
      unit: 'ms',
    });
    ctx.record({
      metric: `SIGKILL → step handler starts elsewhere, max (n=${n})`,
      value: Math.max(...toRestart),
      unit: 'ms',
    });
    ctx.record({ metric: `SIGKILL → task complete, mean (n=${n})`, value: mean(toComplete), unit: 'ms' });
  },
};

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function oneRound(
  ctx: ScenarioContext,
  control: TaskerEngine,
  pool: pg.Pool,
  round: number,
): Promise<{ restart: number; complete: number }> {
  let worker: WorkerProcess | undefined;
  let engine: TaskerEngine | undefined;
  try {
    worker = await startWorkerProcess(ctx.databaseUrl, CONFIG, { BENCH_RECOVERY_BLOCK: '1' });
    const task = await control.createTask({ name: 'recovery', namespace: NAMESPACE, context: { round } });
    await waitForState(pool, task.taskId, 'in_progress', CLAIM_TIMEOUT_MS, () => worker?.output() ?? '');

    // The second worker: in this process, started only now so the first claim was the process's.
    const started = deferred<number>();
    const completed = deferred<number>();
    engine = createEngine({
      databaseUrl: ctx.databaseUrl,
      tasks: [definition],
      stepHandlers: {
        Block: (step) => {
          if (step.task.taskId === task.taskId) started.resolve(performance.now());
          return {};
        },
      },
      worker: { ...WORKER, ...HEARTBEAT },
      poolSize: POOL_SIZE,
      logger: logger(),
      shutdownTimeoutMs: 5_000,
    });
    engine.events.subscribe('task.completed', (event) => {
      if (Number(event.payload.task_id) === task.taskId) completed.resolve(performance.now());
    });
    await engine.ready();

    const killedAt = performance.now();
    await worker.kill('SIGKILL');
    const describe = async () => {
      const t = await control.getTask(task.taskId);
      return `task ${task.taskId} is ${t?.status}, step ${t?.steps.map((s) => `${s.name} ${s.status}`).join(', ')}`;
    };
    let restartedAt: number;
    try {
      restartedAt = await withTimeout(started.promise, RECOVERY_TIMEOUT_MS, 'timeout');
    } catch {
      throw new Error(
        `round ${round}: the step did not run again within ${RECOVERY_TIMEOUT_MS} ms; ${await describe()}`,
      );
    }
    let completedAt: number;
    try {
      completedAt = await withTimeout(completed.promise, 30_000, 'timeout');
    } catch {
      throw new Error(
        `round ${round}: the task did not complete after the step ran again; ${await describe()}`,
      );
    }
    return { restart: restartedAt - killedAt, complete: completedAt - killedAt };
  } finally {
    await worker?.kill('SIGKILL');
    await engine?.close();
  }
}

async function waitForState(
  pool: pg.Pool,
  taskId: number,
  state: string,
  timeoutMs: number,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await pool.query<{ to_state: string }>(
      `SELECT tr.to_state FROM tasker_workflow_steps ws
         JOIN tasker_workflow_step_transitions tr ON tr.workflow_step_id = ws.workflow_step_id AND tr.most_recent
        WHERE ws.task_id = $1`,
      [taskId],
    );
    if (rows[0]?.to_state === state) return;
    if (Date.now() > deadline) {
      throw new Error(
        `task ${taskId}'s step did not reach ${state} within ${timeoutMs} ms (now ${rows[0]?.to_state}):\n${output()}`,
      );
    }
    await sleep(20);
  }
}
