import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import expectations from './fixtures/expectations.json';
import { http, mixedTasks, startLoad } from './support/api-client';
import { PrivateCluster } from './support/cluster';
import { createStressDatabase, type StressDatabase } from './support/database';
import {
  inProgressStepsWithoutJob,
  stepsCompletedMoreThanOnce,
  stuckTasks,
  taskOutcomes,
  waitForTerminal,
  wrongOutcomes,
} from './support/invariants';
import { byMode, sleep, waitFor } from './support/mode';
import { startApi, startWorker, type ApiProcess, type StressProcess } from './support/processes';
import { round, ScenarioReport } from './support/results';
import { adminToken, rsaKeyPair } from './support/tokens';

const WARM_UP_MS = byMode(15_000, 5_000);
const DOWN_MS = byMode(15_000, 6_000);
const AFTER_MS = byMode(20_000, 8_000);
const RATE = 10;
/** Each restart is a new chance to catch a process between two statements of a transaction. */
const RESTARTS = byMode(3, 1);

interface ReadinessSample {
  at: number;
  status: number | string;
}

describe('database restart: the private PostgreSQL goes down and comes back mid-run (3 times; once short)', () => {
  const report = new ScenarioReport('database-restart');
  const keys = rsaKeyPair();
  let cluster: PrivateCluster;
  let db: StressDatabase;
  let api: ApiProcess;
  const workers: StressProcess[] = [];

  beforeAll(async () => {
    cluster = await PrivateCluster.create();
    cluster.start();
    db = await createStressDatabase('dbrestart', cluster.adminUrl);
    api = await startApi(db.url, keys.publicKey);
    workers.push(await startWorker(db.url), await startWorker(db.url));
  });
  afterAll(async () => {
    report.write();
    await Promise.all([...workers, api].map((p) => p?.stop()));
    await db?.drop().catch(() => undefined);
    cluster?.destroy();
  });

  it('reconnects API and workers by themselves, loses nothing, and reports readiness honestly', async () => {
    const samples: ReadinessSample[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const at = Date.now();
        const status = await http('GET', `${api.baseUrl}/health/ready`, { timeoutMs: 5_000 }).then(
          (res) => res.status,
          (error: Error) => error.name,
        );
        samples.push({ at, status });
        await sleep(250);
      }
    })();
    const load = startLoad(api.baseUrl, adminToken(keys), (i) => mixedTasks(i + 1)[i], {
      ratePerSecond: RATE,
    });
    await sleep(WARM_UP_MS);

    const outages: { downAt: number; upAt: number; readyAt?: number }[] = [];
    for (let i = 0; i < RESTARTS; i += 1) {
      cluster.stop('fast');
      const downAt = Date.now();
      await sleep(DOWN_MS);
      cluster.start();
      const upAt = Date.now();
      await waitFor(() => samples.some((s) => s.at > upAt && s.status === 200), 60_000, 100);
      outages.push({ downAt, upAt, readyAt: samples.find((s) => s.at > upAt && s.status === 200)?.at });
      if (i < RESTARTS - 1) await sleep(AFTER_MS);
    }
    const upAt = outages[outages.length - 1].upAt;
    await sleep(AFTER_MS);
    const creation = await load.stop();
    const ids = creation.created.map((t) => t.taskId);
    const remaining = await waitForTerminal(db.pool, ids, 120_000, (n) =>
      console.log(`[database-restart] ${n} tasks not terminal yet`),
    );
    const drainedAt = Date.now();
    polling = false;
    await poller;

    const whileDown = samples.filter((s) => outages.some((o) => s.at > o.downAt + 500 && s.at < o.upAt));
    const outcomes = await taskOutcomes(db.pool, ids);
    const wrong = wrongOutcomes(outcomes, expectations.expectedStatus);
    const missing = ids.length - outcomes.length;
    const failedStatuses: Record<string, number> = {};
    for (const failure of creation.failed) {
      failedStatuses[String(failure.status)] = (failedStatuses[String(failure.status)] ?? 0) + 1;
    }
    const stuck = await stuckTasks(db.pool);
    const orphaned = await inProgressStepsWithoutJob(db.pool);
    const duplicates = await stepsCompletedMoreThanOnce(db.pool);
    const processesAlive = [api, ...workers].map(
      (p) => `${p.role} ${p.pid}: ${p.alive() ? 'alive' : 'exited'}`,
    );
    report.merge({
      database: 'private PostgreSQL 15 cluster (initdb in a temp dir, pg_ctl stop -m fast / start)',
      restarts: RESTARTS,
      downSecondsEach: round(DOWN_MS / 1000),
      readinessWhileDown: Object.fromEntries(
        [...new Set(whileDown.map((s) => String(s.status)))].map((k) => [
          k,
          whileDown.filter((s) => String(s.status) === k).length,
        ]),
      ),
      secondsFromRestartToReady: outages.map((o) =>
        o.readyAt ? round((o.readyAt - o.upAt) / 1000, 2) : null,
      ),
      tasksCreated: ids.length,
      createRequestsRefused: failedStatuses,
      tasksMissingAfterCreate: missing,
      lostTasks: remaining,
      tasksInWrongTerminalState: wrong.length,
      stepsCompletedMoreThanOnce: duplicates,
      stuckTasks: stuck.length,
      inProgressStepsWithoutJob: orphaned.length,
      secondsFromRestartToAllTerminal: round((drainedAt - upAt) / 1000),
      processes: processesAlive,
      exitedProcessLogs: [api, ...workers]
        .filter((p) => !p.alive())
        .map(
          (p) =>
            `${p.role} ${p.pid} exit ${p.child.exitCode ?? p.child.signalCode}: ${p.output().slice(-1500)}`,
        ),
    });

    expect(
      processesAlive.filter((p) => p.endsWith('exited')),
      'no process died with the database',
    ).toEqual([]);
    expect(whileDown.length).toBeGreaterThan(0);
    expect(
      whileDown.filter((s) => s.status !== 503),
      '/health/ready answers 503 while the database is down',
    ).toEqual([]);
    expect(
      outages.filter((o) => o.readyAt === undefined),
      '/health/ready answers 200 after each restart',
    ).toEqual([]);
    expect(samples.at(-1)?.status).toBe(200);
    expect(missing).toBe(0);
    expect(remaining, 'lost tasks').toBe(0);
    expect(wrong).toEqual([]);
    expect(duplicates).toBe(0);
    expect(stuck).toEqual([]);
    expect(orphaned).toEqual([]);
    expect(
      Object.keys(failedStatuses).filter((s) => !/^5\d\d$/.test(s)),
      'refused creates are answered, not dropped',
    ).toEqual([]);
  });
});
