import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import expectations from './fixtures/expectations.json';
import { createTasks, mixedTasks } from './support/api-client';
import { createStressDatabase, type StressDatabase } from './support/database';
import {
  executionFigures,
  inProgressStepsWithoutJob,
  stepsCompletedMoreThanOnce,
  stuckTasks,
  taskOutcomes,
  tasksFailedByCrashesOnly,
  totalStepCount,
  waitForTerminal,
  wrongOutcomes,
} from './support/invariants';
import { byMode, sleep } from './support/mode';
import { startApi, startWorker, type ApiProcess, type StressProcess } from './support/processes';
import { round, ScenarioReport } from './support/results';
import { adminToken, rsaKeyPair } from './support/tokens';

const TASKS = byMode(2_000, 600);
const WORKERS = 3;
const KILL_EVERY_MS = 2_000;
/** Chaos stops once every task is terminal, or after this long. */
const CHAOS_LIMIT_MS = byMode(240_000, 30_000);
/** After the chaos: recovery needs a heartbeat timeout (10 s) plus a recovery check. */
const SETTLE_MS = byMode(120_000, 60_000);

describe('worker crashes: SIGKILL one of 3 worker processes every 2 s', () => {
  const report = new ScenarioReport('worker-crashes');
  const keys = rsaKeyPair();
  let db: StressDatabase;
  let api: ApiProcess;
  const workers: (StressProcess | undefined)[] = [];
  const retired: StressProcess[] = [];

  beforeAll(async () => {
    db = await createStressDatabase('crashes');
    api = await startApi(db.url, keys.publicKey);
    for (let i = 0; i < WORKERS; i += 1) workers.push(await startWorker(db.url));
  });
  afterAll(async () => {
    report.write();
    await Promise.all([...workers, api].map((p) => p?.stop()));
    await db?.drop();
  });

  /** Kills a running worker every KILL_EVERY_MS (round robin) and starts its replacement. */
  async function chaos(done: () => boolean): Promise<{ kills: number; restarts: number }> {
    let kills = 0;
    let restarts = 0;
    const replacements: Promise<void>[] = [];
    const stopAt = Date.now() + CHAOS_LIMIT_MS;
    let next = 0;
    while (!done() && Date.now() < stopAt) {
      const tickStart = Date.now();
      // The next running worker in turn (a slot whose replacement is still starting is skipped).
      const slot = Array.from({ length: WORKERS }, (_, i) => (next + i) % WORKERS).find((i) =>
        workers[i]?.alive(),
      );
      const victim = slot === undefined ? undefined : workers[slot];
      if (slot !== undefined && victim) {
        next = (slot + 1) % WORKERS;
        victim.kill('SIGKILL');
        kills += 1;
        workers[slot] = undefined;
        retired.push(victim);
        replacements.push(
          victim.exited
            .then(() => startWorker(db.url))
            .then((worker) => {
              workers[slot] = worker;
              restarts += 1;
            }),
        );
      }
      await sleep(Math.max(0, KILL_EVERY_MS - (Date.now() - tickStart)));
    }
    await Promise.all(replacements);
    return { kills, restarts };
  }

  it('loses no task, records no step complete twice and counts at-least-once re-executions', async () => {
    const started = Date.now();
    let settled = false;
    const chaosRun = chaos(() => settled);
    const creation = await createTasks(api.baseUrl, adminToken(keys), mixedTasks(TASKS));
    const createdIn = (Date.now() - started) / 1000;
    const ids = creation.created.map((t) => t.taskId);
    const remainingAfterChaos = await waitForTerminal(db.pool, ids, CHAOS_LIMIT_MS, (n) =>
      console.log(`[worker-crashes] ${n} tasks not terminal yet`),
    );
    settled = true;
    const { kills, restarts } = await chaosRun;
    const chaosSeconds = (Date.now() - started) / 1000;
    const remaining =
      remainingAfterChaos === 0
        ? 0
        : await waitForTerminal(db.pool, ids, SETTLE_MS, (n) =>
            console.log(`[worker-crashes] after the chaos: ${n} tasks not terminal yet`),
          );
    const elapsed = (Date.now() - started) / 1000;

    const outcomes = await taskOutcomes(db.pool, ids);
    const crashFailed = new Set(await tasksFailedByCrashesOnly(db.pool, ids));
    const wrongStates = wrongOutcomes(outcomes, expectations.expectedStatus);
    // Documented behaviour, reported rather than failed: an attempt lost with its worker counts
    // against the step's retry limit (3 by default), so a step can run out of attempts to crashes.
    const wrong = wrongStates.filter((o) => !crashFailed.has(o.taskId));
    const executions = await executionFigures(db.pool, expectations.intentionallyFailingSteps);
    const duplicateCompletes = await stepsCompletedMoreThanOnce(db.pool);
    const stuck = await stuckTasks(db.pool);
    const orphanedSteps = await inProgressStepsWithoutJob(db.pool);
    const steps = await totalStepCount(db.pool);
    report.merge({
      tasksRequested: TASKS,
      tasksCreated: ids.length,
      creationFailures: creation.failed.length,
      creationSeconds: round(createdIn),
      workerProcesses: WORKERS,
      sigkills: kills,
      chaosSeconds: round(chaosSeconds),
      tasksTerminalDuringChaos: ids.length - remainingAfterChaos,
      restarts,
      steps,
      tasksTerminal: ids.length - remaining,
      lostTasks: remaining,
      tasksInWrongTerminalState: wrong.length,
      tasksFailedBecauseCrashesUsedUpTheirAttempts: wrongStates.length - wrong.length,
      stepsCompletedMoreThanOnce: duplicateCompletes,
      stuckTasks: stuck.length,
      inProgressStepsWithoutJob: orphanedSteps.length,
      ...executions,
      secondsToAllTerminal: round(elapsed),
      stepsPerSecond: round(steps / elapsed),
    });

    expect(creation.failed, 'every create request succeeds').toEqual([]);
    expect(kills, 'the chaos actually killed workers').toBeGreaterThanOrEqual(byMode(10, 4));
    expect(remaining, 'lost tasks (not terminal)').toBe(0);
    expect(wrong, 'tasks that ended in the wrong state').toEqual([]);
    expect(duplicateCompletes, 'steps with more than one transition to complete').toBe(0);
    expect(executions.sameAttemptExecutedTwice, 'one attempt handed to two executions').toBe(0);
    expect(executions.completedWithoutExecution, 'steps complete without a handler run').toBe(0);
    expect(stuck, 'non-terminal tasks with no job').toEqual([]);
    expect(orphanedSteps, 'in_progress steps with no job').toEqual([]);
    expect(api.alive(), 'the API process survived').toBe(true);
  });
});
