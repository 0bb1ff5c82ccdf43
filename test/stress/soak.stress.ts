import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import expectations from './fixtures/expectations.json';
import { createTasks, mixedTasks, startLoad } from './support/api-client';
import { createStressDatabase, type StressDatabase } from './support/database';
import {
  backlogSize,
  inProgressStepsWithoutJob,
  stepsCompletedMoreThanOnce,
  stuckTasks,
  taskOutcomes,
  waitForTerminal,
  wrongOutcomes,
} from './support/invariants';
import { byMode, sleep } from './support/mode';
import {
  readSamples,
  removeStats,
  startApi,
  startWorker,
  type ApiProcess,
  type ProcessSample,
  type StressProcess,
} from './support/processes';
import { percentile, round, ScenarioReport } from './support/results';
import { adminToken, rsaKeyPair } from './support/tokens';

const SOAK_MS = Number(process.env.STRESS_SOAK_MINUTES ?? byMode(10, 0.5)) * 60_000;
const CALIBRATION_TASKS = byMode(600, 80);
/** RSS is compared between the window right after warm-up and the last window of the soak. */
const WARM_UP_FRACTION = 0.25;
const WINDOW_FRACTION = 0.2;
const MAX_RSS_GROWTH = 0.1;

function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** RSS growth and event-loop lag of one process between the early and the late window of the soak. */
function processFigures(samples: ProcessSample[], soakStart: number, soakEnd: number) {
  const span = soakEnd - soakStart;
  const warmEnd = soakStart + span * WARM_UP_FRACTION;
  const early = samples.filter((s) => s.at >= warmEnd && s.at < warmEnd + span * WINDOW_FRACTION);
  const late = samples.filter((s) => s.at >= soakEnd - span * WINDOW_FRACTION && s.at <= soakEnd);
  const during = samples.filter((s) => s.at >= soakStart && s.at <= soakEnd);
  const earlyRss = median(early.map((s) => s.rssBytes));
  const lateRss = median(late.map((s) => s.rssBytes));
  const lagP99 = during.map((s) => s.lagP99Ms).sort((a, b) => a - b);
  return {
    samples: during.length,
    rssEarlyMb: round(earlyRss / 2 ** 20),
    rssLateMb: round(lateRss / 2 ** 20),
    rssGrowthPercent: round(((lateRss - earlyRss) / earlyRss) * 100),
    heapLateMb: round(median(late.map((s) => s.heapUsedBytes)) / 2 ** 20),
    lagP99EarlyMs: round(median(early.map((s) => s.lagP99Ms)), 2),
    lagP99LateMs: round(median(late.map((s) => s.lagP99Ms)), 2),
    lagP99OfSamplesMs: round(percentile(lagP99, 99), 2),
    lagMaxMs: round(Math.max(...during.map((s) => s.lagMaxMs)), 2),
  };
}

describe('soak: half the measured maximum throughput for a sustained period', () => {
  const report = new ScenarioReport('soak');
  const keys = rsaKeyPair();
  let db: StressDatabase;
  let api: ApiProcess;
  const workers: StressProcess[] = [];

  beforeAll(async () => {
    db = await createStressDatabase('soak');
    api = await startApi(db.url, keys.publicKey);
    workers.push(await startWorker(db.url), await startWorker(db.url));
  });
  afterAll(async () => {
    report.write();
    await Promise.all([...workers, api].map((p) => p?.stop()));
    removeStats([api, ...workers].filter(Boolean));
    await db?.drop();
  });

  it('keeps memory flat, the event loop responsive and no task stuck', async () => {
    const token = adminToken(keys);
    const calibrationStart = Date.now();
    const burst = await createTasks(api.baseUrl, token, mixedTasks(CALIBRATION_TASKS), 8);
    const burstIds = burst.created.map((t) => t.taskId);
    expect(await waitForTerminal(db.pool, burstIds, 120_000)).toBe(0);
    const maxTasksPerSecond = burstIds.length / ((Date.now() - calibrationStart) / 1000);
    const rate = maxTasksPerSecond / 2;

    const soakStart = Date.now();
    const load = startLoad(api.baseUrl, token, (i) => mixedTasks(i + 1, { soak: true })[i], {
      ratePerSecond: rate,
    });
    const backlog: number[] = [];
    while (Date.now() - soakStart < SOAK_MS) {
      await sleep(5_000);
      backlog.push(await backlogSize(db.pool));
    }
    const soakEnd = Date.now();
    const creation = await load.stop();
    const ids = creation.created.map((t) => t.taskId);
    const remaining = await waitForTerminal(db.pool, ids, 120_000);
    const outcomes = await taskOutcomes(db.pool, ids);
    const wrong = wrongOutcomes(outcomes, expectations.expectedStatus);
    const stuck = await stuckTasks(db.pool);
    const orphaned = await inProgressStepsWithoutJob(db.pool);
    const perProcess = Object.fromEntries(
      [api, ...workers].map((p) => [
        `${p.role} ${p.pid}`,
        processFigures(readSamples(p.statsFile), soakStart, soakEnd),
      ]),
    );
    report.merge({
      calibrationTasks: burstIds.length,
      maxTasksPerSecond: round(maxTasksPerSecond),
      soakRateTasksPerSecond: round(rate),
      soakSeconds: round((soakEnd - soakStart) / 1000),
      tasksCreated: ids.length,
      creationFailures: creation.failed.length,
      backlogEvery5s: backlog,
      lostTasks: remaining,
      tasksInWrongTerminalState: wrong.length,
      stepsCompletedMoreThanOnce: await stepsCompletedMoreThanOnce(db.pool),
      stuckTasks: stuck.length,
      inProgressStepsWithoutJob: orphaned.length,
      processes: perProcess,
    });

    expect(creation.failed).toEqual([]);
    expect(remaining, 'lost tasks').toBe(0);
    expect(wrong).toEqual([]);
    expect(stuck, 'non-terminal tasks with no job').toEqual([]);
    expect(orphaned).toEqual([]);
    expect(await stepsCompletedMoreThanOnce(db.pool)).toBe(0);
    for (const [name, figures] of Object.entries(perProcess)) {
      expect(figures.samples, `${name} sampled`).toBeGreaterThan(5);
      expect(figures.rssGrowthPercent, `${name} RSS growth after warm-up (%)`).toBeLessThan(
        MAX_RSS_GROWTH * 100,
      );
    }
  });
});
