import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineTask } from '../../src/registry';
import {
  createTestDatabase,
  createTestEngine,
  failingHandler,
  recordingHandler,
  runTask,
  type TestDatabase,
} from '../../src/testing';
import { tasker } from '../testing/fixtures/run-cli';

const checkout = defineTask({
  name: 'checkout',
  namespaceName: 'cli_status',
  stepTemplates: [
    { name: 'reserve', handlerClass: 'Reserve' },
    { name: 'charge', handlerClass: 'Charge', dependsOnStep: 'reserve', defaultRetryLimit: 1 },
    { name: 'ship', handlerClass: 'Ship', dependsOnStep: 'charge' },
  ],
});

describe('tasker status', () => {
  let db: TestDatabase;
  let failedTaskIds: number[];

  beforeAll(async () => {
    db = await createTestDatabase();
    const declined = failingHandler({ times: 1, error: 'permanent', message: 'card declined\nby the bank' });
    const engine = createTestEngine(db, {
      tasks: [checkout],
      stepHandlers: { Reserve: recordingHandler(), Charge: declined, Ship: recordingHandler() },
    });
    const idle = createTestEngine(db, { tasks: [checkout], worker: false });
    try {
      const failed = [
        await runTask(engine, { name: 'checkout', namespace: 'cli_status', context: { n: 1 } }),
      ];
      failed.push(await runTask(engine, { name: 'checkout', namespace: 'cli_status', context: { n: 2 } }));
      failedTaskIds = failed.map((task) => task.taskId);
      await idle.createTask({ name: 'checkout', namespace: 'cli_status', context: { n: 3 } });
    } finally {
      await Promise.all([engine.close(), idle.close()]);
    }
  });
  afterAll(() => db.drop());

  it('prints counts by state and the most recent failures as JSON', async () => {
    const result = await tasker(['status', '--json'], { databaseUrl: db.url });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report.tasks).toEqual({
      pending: 1,
      in_progress: 0,
      complete: 0,
      error: 2,
      cancelled: 0,
      resolved_manually: 0,
      total: 3,
    });
    expect(report.steps).toMatchObject({ pending: 5, complete: 2, error: 2, total: 9 });
    expect(report.retries).toEqual({ retryableErrorSteps: 0, exhaustedRetrySteps: 2, inBackoffSteps: 0 });
    const failure = (taskId: number) => ({
      taskId,
      task: 'cli_status.checkout@0.1.0',
      failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      failedSteps: [
        {
          name: 'charge',
          attempts: 1,
          retryLimit: 1,
          errorClass: 'PermanentError',
          message: 'card declined\nby the bank',
        },
      ],
    });
    expect(report.recentFailures).toEqual([failure(failedTaskIds[1]), failure(failedTaskIds[0])]);
  });

  it('prints the same as tables', async () => {
    const result = await tasker(['status'], { databaseUrl: db.url });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^STATE +TASKS +STEPS\npending +1 +5\n/);
    expect(result.stdout).toMatch(/^error +2 +2$/m);
    expect(result.stdout).toMatch(/^total +3 +9$/m);
    expect(result.stdout).toContain('in backoff: 0, out of retries: 2.');
    expect(result.stdout).toMatch(/Recent failures:\nTASK +NAME +FAILED AT +STEP +ATTEMPTS +ERROR\n/);
    expect(result.stdout).toMatch(
      new RegExp(
        `^ *${failedTaskIds[1]} +cli_status\\.checkout@0\\.1\\.0 +\\S+ +charge +1/1 +PermanentError: card declined by the bank$`,
        'm',
      ),
    );
  });

  it('limits the failures listed with --failures', async () => {
    const one = JSON.parse(
      (await tasker(['status', '--json', '--failures', '1'], { databaseUrl: db.url })).stdout,
    );
    expect(one.recentFailures.map((f: { taskId: number }) => f.taskId)).toEqual([failedTaskIds[1]]);
    const none = await tasker(['status', '--failures', '0'], { databaseUrl: db.url });
    expect(none.stdout).toContain('No tasks in error.');
  });

  it('exits 2 on a bad --failures value', async () => {
    const result = await tasker(['status', '--failures', 'many'], { databaseUrl: db.url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected an integer from 0 to 100');
  });

  it('does not migrate: on a database without the schema it says to run tasker migrate and exits 1', async () => {
    const empty = await createTestDatabase({ migrate: false });
    try {
      const result = await tasker(['status'], { databaseUrl: empty.url });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('run `tasker migrate` first');
    } finally {
      await empty.drop();
    }
  });
});
