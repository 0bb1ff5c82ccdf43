import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTasks, startLoad } from './support/api-client';
import { createStressDatabase, type StressDatabase } from './support/database';
import {
  inProgressStepsWithoutJob,
  stepsCompletedMoreThanOnce,
  stuckTasks,
  taskOutcomes,
  waitForTerminal,
} from './support/invariants';
import { byMode, waitFor } from './support/mode';
import { startApi, startWorker, type ApiProcess, type StressProcess } from './support/processes';
import { round, ScenarioReport } from './support/results';
import { adminToken, rsaKeyPair } from './support/tokens';

const SIGTERMS = byMode(5, 2);
const STEP_MS = 400;
const SLOW_STEP_MS = byMode(4_000, 2_500);

/** Steps currently in_progress whose latest recorded handler run belongs to `pid`. */
async function stepsRunningIn(pool: pg.Pool, pid: number): Promise<number[]> {
  const { rows } = await pool.query<{ stepId: number }>(
    `SELECT r.step_id::int AS "stepId"
       FROM stress_handler_runs r
       JOIN tasker_workflow_step_transitions st
         ON st.workflow_step_id = r.step_id AND st.most_recent AND st.to_state = 'in_progress'
      WHERE r.pid = $1
        AND r.run_id = (SELECT max(run_id) FROM stress_handler_runs x WHERE x.step_id = r.step_id)`,
    [pid],
  );
  return rows.map((row) => row.stepId);
}

/** For each step: its state, how many times its handler ran, and by which processes. */
async function stepFates(pool: pg.Pool, stepIds: number[]) {
  const { rows } = await pool.query<{ stepId: number; state: string; runs: number; pids: number[] }>(
    `SELECT ws.workflow_step_id::int AS "stepId", st.to_state AS state,
            (SELECT count(*)::int FROM stress_handler_runs r WHERE r.step_id = ws.workflow_step_id) AS runs,
            (SELECT array_agg(DISTINCT r.pid) FROM stress_handler_runs r WHERE r.step_id = ws.workflow_step_id) AS pids
       FROM tasker_workflow_steps ws
       JOIN tasker_workflow_step_transitions st ON st.workflow_step_id = ws.workflow_step_id AND st.most_recent
      WHERE ws.workflow_step_id = ANY ($1::int[])`,
    [stepIds],
  );
  return rows;
}

describe('graceful shutdown: SIGTERM to a worker process under load', () => {
  const report = new ScenarioReport('graceful-shutdown');
  const keys = rsaKeyPair();
  let db: StressDatabase;
  let api: ApiProcess;
  const processes: StressProcess[] = [];

  beforeAll(async () => {
    db = await createStressDatabase('shutdown');
    api = await startApi(db.url, keys.publicKey);
  });
  afterAll(async () => {
    report.write();
    await Promise.all([...processes, api].map((p) => p?.stop()));
    await db?.drop();
  });

  async function worker(env: Record<string, string> = {}): Promise<StressProcess> {
    const started = await startWorker(db.url, env);
    processes.push(started);
    return started;
  }

  async function sigtermWhileBusy(victim: StressProcess) {
    const busy = await waitFor(
      async () => (await stepsRunningIn(db.pool, victim.pid)).length >= 3,
      20_000,
      50,
    );
    expect(busy, 'the worker picked up steps before SIGTERM').toBe(true);
    const inFlight = await stepsRunningIn(db.pool, victim.pid);
    const sentAt = Date.now();
    victim.kill('SIGTERM');
    const exit = await victim.exited;
    const problems = victim
      .output()
      .split('\n')
      .filter((line) => /^(WARN|ERROR)/.test(line));
    return { inFlight, exitSeconds: (Date.now() - sentAt) / 1000, exit, problems: problems.slice(-5) };
  }

  it('lets running steps finish: no re-execution, no step left in_progress without a job', async () => {
    const steady = await worker();
    let victim = await worker();
    const load = startLoad(
      api.baseUrl,
      adminToken(keys),
      (i) => ({ name: 'linear', context: { i, work_ms: STEP_MS } }),
      { ratePerSecond: 10 },
    );
    const rounds: { inFlight: number; exitSeconds: number; code: number | null; problems: string[] }[] = [];
    const inFlightSteps: number[] = [];
    for (let i = 0; i < SIGTERMS; i += 1) {
      const { inFlight, exitSeconds, exit, problems } = await sigtermWhileBusy(victim);
      rounds.push({
        inFlight: inFlight.length,
        exitSeconds: round(exitSeconds, 2),
        code: exit.code,
        problems,
      });
      inFlightSteps.push(...inFlight);
      victim = await worker();
    }
    const creation = await load.stop();
    const ids = creation.created.map((t) => t.taskId);
    const remaining = await waitForTerminal(db.pool, ids, 120_000);
    const fates = await stepFates(db.pool, inFlightSteps);
    const reExecuted = fates.filter((fate) => fate.runs > 1);
    const outcomes = await taskOutcomes(db.pool, ids);
    const orphaned = await inProgressStepsWithoutJob(db.pool);
    report.merge({
      sigterms: SIGTERMS,
      shutdowns: rounds,
      stepsInFlightAtSigterm: inFlightSteps.length,
      inFlightStepsFinishedByTheStoppingWorker: fates.filter((f) => f.state === 'complete' && f.runs === 1)
        .length,
      inFlightStepsReExecuted: reExecuted.length,
      tasks: ids.length,
      tasksNotTerminal: remaining,
      tasksNotComplete: outcomes.filter((o) => o.status !== 'complete').length,
      inProgressStepsWithoutJob: orphaned.length,
    });

    expect(creation.failed).toEqual([]);
    expect(
      rounds.every((r) => r.code === 0),
      JSON.stringify(rounds),
    ).toBe(true);
    expect(
      rounds.filter((r) => r.exitSeconds > STEP_MS / 1000 + 5),
      'a worker whose steps finish in 0.4 s exits within seconds of SIGTERM',
    ).toEqual([]);
    expect(remaining).toBe(0);
    expect(outcomes.filter((o) => o.status !== 'complete')).toEqual([]);
    expect(fates.filter((f) => f.state !== 'complete')).toEqual([]);
    expect(reExecuted, 'steps running at SIGTERM must finish in the stopping worker').toEqual([]);
    expect(orphaned).toEqual([]);
    expect(steady.alive()).toBe(true);
  });

  it('retries steps that outlive the shutdown timeout in another process', async () => {
    await Promise.all(processes.splice(0).map((p) => p.stop()));
    const impatient = await worker({ STRESS_SHUTDOWN_TIMEOUT_MS: '500' });
    const tasks = Array.from({ length: 8 }, (_, i) => ({
      name: 'linear',
      context: { slow: i, work_ms: SLOW_STEP_MS },
    }));
    const creation = await createTasks(api.baseUrl, adminToken(keys), tasks, 4);
    const ids = creation.created.map((t) => t.taskId);
    const { inFlight, exitSeconds, exit } = await sigtermWhileBusy(impatient);
    const orphanedAfterExit = await inProgressStepsWithoutJob(db.pool);
    const rescuedAt = Date.now();
    await worker();
    const remaining = await waitForTerminal(db.pool, ids, 90_000);
    const fates = await stepFates(db.pool, inFlight);
    const outcomes = await taskOutcomes(db.pool, ids);
    report.merge({
      timeoutPhase: {
        shutdownTimeoutMs: 500,
        stepMs: SLOW_STEP_MS,
        stepsInFlightAtSigterm: inFlight.length,
        exitSeconds: round(exitSeconds, 2),
        exitCode: exit.code,
        inProgressStepsWithoutJobAfterExit: orphanedAfterExit.length,
        abandonedStepsRetriedElsewhere: fates.filter((f) => f.state === 'complete' && f.pids.length > 1)
          .length,
        secondsUntilAllComplete: round((Date.now() - rescuedAt) / 1000),
        tasksNotComplete: outcomes.filter((o) => o.status !== 'complete').length,
      },
      stepsCompletedMoreThanOnce: await stepsCompletedMoreThanOnce(db.pool),
      stuckTasks: (await stuckTasks(db.pool)).length,
    });

    expect(exit.code).toBe(0);
    expect(exitSeconds, 'the worker gives up on its steps after the shutdown timeout').toBeLessThan(10);
    expect(orphanedAfterExit, 'abandoned steps keep a job that will retry them').toEqual([]);
    expect(remaining).toBe(0);
    expect(outcomes.filter((o) => o.status !== 'complete')).toEqual([]);
    expect(fates.filter((f) => f.state !== 'complete' || f.pids.length < 2)).toEqual([]);
    expect(await stepsCompletedMoreThanOnce(db.pool)).toBe(0);
    expect(await stuckTasks(db.pool)).toEqual([]);
  });
});
