import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import {
  createTask,
  secondsAgo,
  setStepState,
  updateStep,
  type SeededTask,
  type StepState,
} from '../support/readiness-seed';

interface ReadinessRow {
  workflow_step_id: number;
  task_id: number;
  named_step_id: number;
  name: string;
  current_state: string;
  dependencies_satisfied: boolean;
  retry_eligible: boolean;
  ready_for_execution: boolean;
  last_failure_at: Date | null;
  next_retry_at: Date | null;
  total_parents: number;
  completed_parents: number;
  attempts: number;
  retry_limit: number;
  backoff_request_seconds: number | null;
  last_attempted_at: Date | null;
  retryable: boolean;
}

/** Backoff facts computed by the database itself (microsecond exact, no JS Date rounding). */
interface BackoffRow {
  name: string;
  ready_for_execution: boolean;
  /** next_retry_at - last_failure_at, in seconds. */
  wait_after_failure: number | null;
  /** next_retry_at - last_attempted_at, in seconds. */
  wait_after_attempt: number | null;
  /** last_failure_at is exactly the created_at of the step's current (error) transition. */
  failure_is_error_transition: boolean | null;
}

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
});

async function readiness(taskId: number, stepIds?: number[]): Promise<ReadinessRow[]> {
  const { rows } = await db.pool.query<ReadinessRow>(
    'SELECT * FROM get_step_readiness_status($1::bigint, $2::bigint[])',
    [taskId, stepIds ?? null],
  );
  return rows;
}

async function byName(taskId: number): Promise<Record<string, ReadinessRow>> {
  return Object.fromEntries((await readiness(taskId)).map((row) => [row.name, row]));
}

async function readyNames(taskId: number): Promise<string[]> {
  return (await readiness(taskId)).filter((row) => row.ready_for_execution).map((row) => row.name);
}

async function backoff(taskId: number, name: string): Promise<BackoffRow> {
  const { rows } = await db.pool.query<BackoffRow>(
    `SELECT r.name, r.ready_for_execution,
            extract(epoch FROM r.next_retry_at - r.last_failure_at)::float8 AS wait_after_failure,
            extract(epoch FROM r.next_retry_at - r.last_attempted_at)::float8 AS wait_after_attempt,
            r.last_failure_at = cur.created_at AS failure_is_error_transition
     FROM get_step_readiness_status($1::bigint) r
     LEFT JOIN tasker_workflow_step_transitions cur
       ON cur.workflow_step_id = r.workflow_step_id AND cur.most_recent
     WHERE r.name = $2`,
    [taskId, name],
  );
  expect(rows).toHaveLength(1);
  return rows[0];
}

/** Records a failed execution the way the executor does: attempts and last_attempted_at, then → error. */
async function fail(
  task: SeededTask,
  name: string,
  { attempts, secondsAgo: ago, retryLimit }: { attempts: number; secondsAgo: number; retryLimit?: number },
): Promise<void> {
  const id = task.id(name);
  await updateStep(db.pool, id, { attempts, retry_limit: retryLimit, last_attempted_at: secondsAgo(ago) });
  await setStepState(db.pool, id, 'in_progress', { at: secondsAgo(ago + 0.5) });
  await setStepState(db.pool, id, 'error', { at: secondsAgo(ago) });
}

async function complete(task: SeededTask, ...names: string[]): Promise<void> {
  const ids = names.map((name) => task.id(name));
  await setStepState(db.pool, ids, 'in_progress');
  await setStepState(db.pool, ids, 'complete');
  await updateStep(db.pool, ids, { processed: true, attempts: 1, last_attempted_at: 'now()' });
}

const linear = () => createTask(db.pool, { steps: ['a', 'b', 'c'], edges: [['a', 'b'], ['b', 'c']] });
const diamond = () =>
  createTask(db.pool, {
    steps: ['a', 'b', 'c', 'd'],
    edges: [
      ['a', 'b'],
      ['a', 'c'],
      ['b', 'd'],
      ['c', 'd'],
    ],
  });

describe('get_step_readiness_status: dependencies', () => {
  it('a fresh linear task has only its root ready, with parent counts for every step', async () => {
    const task = await linear();
    const rows = await readiness(task.taskId);

    expect(rows.map((row) => row.workflow_step_id)).toEqual([task.id('a'), task.id('b'), task.id('c')]);
    expect(
      rows.map(({ name, current_state, dependencies_satisfied, total_parents, completed_parents, ready_for_execution }) => ({
        name,
        current_state,
        dependencies_satisfied,
        total_parents,
        completed_parents,
        ready_for_execution,
      })),
    ).toEqual([
      { name: 'a', current_state: 'pending', dependencies_satisfied: true, total_parents: 0, completed_parents: 0, ready_for_execution: true },
      { name: 'b', current_state: 'pending', dependencies_satisfied: false, total_parents: 1, completed_parents: 0, ready_for_execution: false },
      { name: 'c', current_state: 'pending', dependencies_satisfied: false, total_parents: 1, completed_parents: 0, ready_for_execution: false },
    ]);
    const root = rows[0];
    expect(root).toMatchObject({
      task_id: task.taskId,
      retry_eligible: true,
      attempts: 0,
      retry_limit: 3,
      retryable: true,
      last_failure_at: null,
      next_retry_at: null,
      backoff_request_seconds: null,
      last_attempted_at: null,
    });
  });

  it('a fresh diamond task has only its root ready; the join step counts two parents', async () => {
    const task = await diamond();
    const rows = await byName(task.taskId);

    expect(await readyNames(task.taskId)).toEqual(['a']);
    expect(rows.a).toMatchObject({ dependencies_satisfied: true, total_parents: 0, completed_parents: 0 });
    expect(rows.b).toMatchObject({ dependencies_satisfied: false, total_parents: 1, completed_parents: 0 });
    expect(rows.c).toMatchObject({ dependencies_satisfied: false, total_parents: 1, completed_parents: 0 });
    expect(rows.d).toMatchObject({ dependencies_satisfied: false, total_parents: 2, completed_parents: 0 });
  });

  it('completing a parent makes the next step of a linear chain ready, one at a time', async () => {
    const task = await linear();

    await complete(task, 'a');
    expect(await readyNames(task.taskId)).toEqual(['b']);
    expect((await byName(task.taskId)).b).toMatchObject({ dependencies_satisfied: true, completed_parents: 1 });

    await complete(task, 'b');
    expect(await readyNames(task.taskId)).toEqual(['c']);

    await complete(task, 'c');
    expect(await readyNames(task.taskId)).toEqual([]);
  });

  it('a diamond join step becomes ready only after both of its parents complete', async () => {
    const task = await diamond();

    await complete(task, 'a');
    expect(await readyNames(task.taskId)).toEqual(['b', 'c']);

    await complete(task, 'b');
    expect(await readyNames(task.taskId)).toEqual(['c']);
    expect((await byName(task.taskId)).d).toMatchObject({
      dependencies_satisfied: false,
      total_parents: 2,
      completed_parents: 1,
      ready_for_execution: false,
    });

    await complete(task, 'c');
    expect(await readyNames(task.taskId)).toEqual(['d']);
    expect((await byName(task.taskId)).d).toMatchObject({
      dependencies_satisfied: true,
      total_parents: 2,
      completed_parents: 2,
    });
  });

  it('a parent resolved_manually satisfies its child’s dependencies', async () => {
    const task = await diamond();
    await complete(task, 'a', 'b');
    await fail(task, 'c', { attempts: 3, secondsAgo: 3600 });
    await setStepState(db.pool, task.id('c'), 'resolved_manually');

    expect((await byName(task.taskId)).d).toMatchObject({
      dependencies_satisfied: true,
      completed_parents: 2,
      ready_for_execution: true,
    });
  });

  it.each<StepState>(['error', 'in_progress', 'pending', 'cancelled'])(
    'a parent in %s blocks its child',
    async (parentState) => {
      const task = await diamond();
      await complete(task, 'a', 'b');
      if (parentState !== 'pending') await setStepState(db.pool, task.id('c'), parentState);

      expect((await byName(task.taskId)).d).toMatchObject({
        dependencies_satisfied: false,
        total_parents: 2,
        completed_parents: 1,
        ready_for_execution: false,
      });
    },
  );

  it('a cancelled parent blocks its child forever, however long ago it was cancelled', async () => {
    const task = await linear();
    await setStepState(db.pool, task.id('a'), 'cancelled', { at: secondsAgo(30 * 24 * 3600) });

    const rows = await byName(task.taskId);
    expect(rows.a).toMatchObject({ current_state: 'cancelled', ready_for_execution: false });
    expect(rows.b).toMatchObject({ dependencies_satisfied: false, completed_parents: 0, ready_for_execution: false });
    expect(await readyNames(task.taskId)).toEqual([]);
  });
});

describe('get_step_readiness_status: state and flags', () => {
  it.each<StepState>(['in_progress', 'complete', 'cancelled', 'resolved_manually'])(
    'a step in %s is never ready, even as a root with nothing holding it back',
    async (state) => {
      const task = await createTask(db.pool, { steps: ['only', 'other'] });
      await setStepState(db.pool, task.id('only'), state, { at: secondsAgo(3600) });

      const rows = await byName(task.taskId);
      expect(rows.only).toMatchObject({
        current_state: state,
        dependencies_satisfied: true,
        retry_eligible: true,
        ready_for_execution: false,
      });
      expect(rows.other.ready_for_execution).toBe(true);
    },
  );

  it('a processed step is never ready, even in pending', async () => {
    const task = await createTask(db.pool, { steps: ['done', 'other'] });
    await updateStep(db.pool, task.id('done'), { processed: true });

    const rows = await byName(task.taskId);
    expect(rows.done).toMatchObject({ current_state: 'pending', dependencies_satisfied: true, ready_for_execution: false });
    expect(rows.other.ready_for_execution).toBe(true);
  });

  it('a claimed step (in_process = true) is never ready', async () => {
    const task = await createTask(db.pool, { steps: ['claimed', 'other'] });
    await updateStep(db.pool, task.id('claimed'), { in_process: true });

    const rows = await byName(task.taskId);
    expect(rows.claimed).toMatchObject({ current_state: 'pending', dependencies_satisfied: true, ready_for_execution: false });
    expect(rows.other.ready_for_execution).toBe(true);
  });

  it('a failed step whose attempts reached retry_limit is not ready and not retry-eligible', async () => {
    const task = await createTask(db.pool, { steps: ['exhausted', 'retriable'] });
    await fail(task, 'exhausted', { attempts: 3, retryLimit: 3, secondsAgo: 3600 });
    await fail(task, 'retriable', { attempts: 2, retryLimit: 3, secondsAgo: 3600 });

    const rows = await byName(task.taskId);
    expect(rows.exhausted).toMatchObject({
      current_state: 'error',
      attempts: 3,
      retry_limit: 3,
      retry_eligible: false,
      ready_for_execution: false,
    });
    expect(rows.retriable).toMatchObject({ current_state: 'error', retry_eligible: true, ready_for_execution: true });
  });

  it('retryable = false still lets the first attempt run', async () => {
    const task = await createTask(db.pool, { steps: ['once'] });
    await updateStep(db.pool, task.id('once'), { retryable: false });

    expect((await byName(task.taskId)).once).toMatchObject({
      current_state: 'pending',
      attempts: 0,
      retryable: false,
      ready_for_execution: true,
    });
  });

  it('retryable = false never retries a failed step, however long ago it failed', async () => {
    const task = await createTask(db.pool, { steps: ['once'] });
    await updateStep(db.pool, task.id('once'), { retryable: false });
    await fail(task, 'once', { attempts: 1, secondsAgo: 3600 });

    expect((await byName(task.taskId)).once).toMatchObject({
      current_state: 'error',
      attempts: 1,
      retry_eligible: true,
      ready_for_execution: false,
    });
  });
});

describe('get_step_readiness_status: failure backoff (min(2^attempts, 30) s after the error transition)', () => {
  it('after a first failure 1 s ago the step waits: next_retry_at = failure time + 2 s', async () => {
    const task = await createTask(db.pool, { steps: ['flaky'] });
    await fail(task, 'flaky', { attempts: 1, secondsAgo: 1 });

    const row = (await byName(task.taskId)).flaky;
    expect(row).toMatchObject({ current_state: 'error', retry_eligible: true, ready_for_execution: false });
    expect(row.last_failure_at).toBeInstanceOf(Date);
    expect(await backoff(task.taskId, 'flaky')).toMatchObject({
      ready_for_execution: false,
      wait_after_failure: 2,
      failure_is_error_transition: true,
    });
  });

  it('after a first failure 3 s ago the step is ready again', async () => {
    const task = await createTask(db.pool, { steps: ['flaky'] });
    await fail(task, 'flaky', { attempts: 1, secondsAgo: 3 });

    expect(await backoff(task.taskId, 'flaky')).toMatchObject({ ready_for_execution: true, wait_after_failure: 2 });
  });

  it('after a third failure the step waits 8 s', async () => {
    const waiting = await createTask(db.pool, { steps: ['flaky'] });
    await fail(waiting, 'flaky', { attempts: 3, retryLimit: 5, secondsAgo: 7 });
    expect(await backoff(waiting.taskId, 'flaky')).toMatchObject({ ready_for_execution: false, wait_after_failure: 8 });

    const elapsed = await createTask(db.pool, { steps: ['flaky'] });
    await fail(elapsed, 'flaky', { attempts: 3, retryLimit: 5, secondsAgo: 9 });
    expect(await backoff(elapsed.taskId, 'flaky')).toMatchObject({ ready_for_execution: true, wait_after_failure: 8 });
  });

  it.each([
    [1, 2],
    [2, 4],
    [3, 8],
    [4, 16],
    [5, 30],
    [6, 30],
    [10, 30],
  ])('after failure number %i the wait is %i s', async (attempts, wait) => {
    const task = await createTask(db.pool, { steps: ['flaky'] });
    await fail(task, 'flaky', { attempts, retryLimit: 20, secondsAgo: 0 });

    expect(await backoff(task.taskId, 'flaky')).toMatchObject({ ready_for_execution: false, wait_after_failure: wait });
  });

  it('the wait is capped at 30 s: with 6 attempts not ready 29 s after the failure, ready at 31 s', async () => {
    const at29 = await createTask(db.pool, { steps: ['flaky'] });
    await fail(at29, 'flaky', { attempts: 6, retryLimit: 10, secondsAgo: 29 });
    expect(await backoff(at29.taskId, 'flaky')).toMatchObject({ ready_for_execution: false, wait_after_failure: 30 });

    const at31 = await createTask(db.pool, { steps: ['flaky'] });
    await fail(at31, 'flaky', { attempts: 6, retryLimit: 10, secondsAgo: 31 });
    expect(await backoff(at31.taskId, 'flaky')).toMatchObject({ ready_for_execution: true, wait_after_failure: 30 });
  });

  it('the cap holds for a step that has failed thousands of times (no floating-point overflow)', async () => {
    const task = await createTask(db.pool, { steps: ['stubborn', 'other'] });
    await fail(task, 'stubborn', { attempts: 5000, retryLimit: 10_000, secondsAgo: 31 });

    expect(await backoff(task.taskId, 'stubborn')).toMatchObject({ ready_for_execution: true, wait_after_failure: 30 });
    expect(await readyNames(task.taskId)).toEqual(['stubborn', 'other']);
  });
});

describe('get_step_readiness_status: explicit backoff (backoff_request_seconds after last_attempted_at)', () => {
  it('a step asked to back off 30 s is not ready while its siblings are; next_retry_at = last attempt + 30 s', async () => {
    const task = await createTask(db.pool, {
      steps: ['root', 'x', 'y', 'z'],
      edges: [
        ['root', 'x'],
        ['root', 'y'],
        ['root', 'z'],
      ],
    });
    await complete(task, 'root');
    await updateStep(db.pool, task.id('y'), { backoff_request_seconds: 30, last_attempted_at: 'now()' });

    expect(await readyNames(task.taskId)).toEqual(['x', 'z']);
    const y = (await byName(task.taskId)).y;
    expect(y).toMatchObject({
      current_state: 'pending',
      dependencies_satisfied: true,
      retry_eligible: true,
      backoff_request_seconds: 30,
      ready_for_execution: false,
    });
    expect(await backoff(task.taskId, 'y')).toMatchObject({ wait_after_attempt: 30, wait_after_failure: null });
  });

  it('once the requested backoff has elapsed the step is ready', async () => {
    const task = await createTask(db.pool, { steps: ['throttled'] });
    await fail(task, 'throttled', { attempts: 1, secondsAgo: 6 });
    await updateStep(db.pool, task.id('throttled'), { backoff_request_seconds: 5 });

    expect(await backoff(task.taskId, 'throttled')).toMatchObject({ ready_for_execution: true, wait_after_attempt: 5 });
  });

  it('a backoff with no last_attempted_at is ignored', async () => {
    const task = await createTask(db.pool, { steps: ['never_ran'] });
    await updateStep(db.pool, task.id('never_ran'), { backoff_request_seconds: 30 });

    expect((await byName(task.taskId)).never_ran).toMatchObject({ next_retry_at: null, ready_for_execution: true });
  });

  it('an explicit backoff wins over a longer exponential one (1 s requested, 5 attempts, failed 2 s ago → ready)', async () => {
    const task = await createTask(db.pool, { steps: ['throttled'] });
    await fail(task, 'throttled', { attempts: 5, retryLimit: 10, secondsAgo: 2 });
    await updateStep(db.pool, task.id('throttled'), { backoff_request_seconds: 1 });

    expect(await backoff(task.taskId, 'throttled')).toMatchObject({
      ready_for_execution: true,
      wait_after_attempt: 1,
    });
  });

  it('an explicit backoff wins over a shorter exponential one (60 s requested, 1 attempt, failed 10 s ago → waiting)', async () => {
    const task = await createTask(db.pool, { steps: ['throttled'] });
    await fail(task, 'throttled', { attempts: 1, secondsAgo: 10 });
    await updateStep(db.pool, task.id('throttled'), { backoff_request_seconds: 60 });

    expect(await backoff(task.taskId, 'throttled')).toMatchObject({
      ready_for_execution: false,
      wait_after_attempt: 60,
    });
  });
});

describe('get_step_readiness_status: selection and batches', () => {
  it('step_ids restricts the rows to those steps, keeping their parent counts', async () => {
    const task = await diamond();
    await complete(task, 'a', 'b');

    const rows = await readiness(task.taskId, [task.id('d'), task.id('b')]);
    expect(rows.map((row) => row.name)).toEqual(['b', 'd']);
    expect(rows[1]).toMatchObject({ total_parents: 2, completed_parents: 1, dependencies_satisfied: false });
    expect(await readiness(task.taskId, [])).toEqual([]);
  });

  it('step_ids from another task select nothing', async () => {
    const task = await linear();
    const other = await linear();

    expect(await readiness(task.taskId, [other.id('a')])).toEqual([]);
  });

  it('the batch function returns every step of several tasks, ordered by task then step', async () => {
    const first = await linear();
    const second = await diamond();
    await complete(second, 'a');

    const { rows } = await db.pool.query<ReadinessRow>(
      'SELECT * FROM get_step_readiness_status_batch($1::bigint[])',
      [[second.taskId, first.taskId]],
    );
    expect(rows.map((row) => [row.task_id, row.name, row.ready_for_execution])).toEqual([
      [first.taskId, 'a', true],
      [first.taskId, 'b', false],
      [first.taskId, 'c', false],
      [second.taskId, 'a', false],
      [second.taskId, 'b', true],
      [second.taskId, 'c', true],
      [second.taskId, 'd', false],
    ]);
    const ids = rows.map((row) => row.workflow_step_id);
    expect(ids.slice(0, 3)).toEqual([...ids.slice(0, 3)].sort((x, y) => x - y));
    expect(ids.slice(3)).toEqual([...ids.slice(3)].sort((x, y) => x - y));
  });

  it('the batch function returns no rows for an empty array', async () => {
    await linear();
    const { rows } = await db.pool.query('SELECT * FROM get_step_readiness_status_batch($1::bigint[])', [[]]);
    expect(rows).toEqual([]);
  });

  it('a task that does not exist has no rows', async () => {
    const { rows } = await db.pool.query<{ id: number }>(
      'SELECT COALESCE(max(task_id), 0) + 1000 AS id FROM tasker_tasks',
    );
    expect(await readiness(rows[0].id)).toEqual([]);
  });
});

describe('get_step_readiness_status: 1,000-step tasks', () => {
  const names = Array.from({ length: 1000 }, (_, i) => `s${String(i).padStart(4, '0')}`);

  /** Calls the function a few times; logs the first (cold) and best (warm) wall-clock times. */
  async function timed(label: string, taskId: number): Promise<ReadinessRow[]> {
    const timings: number[] = [];
    let rows: ReadinessRow[] = [];
    for (let run = 0; run < 5; run += 1) {
      const started = performance.now();
      rows = await readiness(taskId);
      timings.push(performance.now() - started);
    }
    console.log(
      `[readiness] ${label}: ${rows.length} rows; first call ${timings[0].toFixed(1)} ms, ` +
        `best of ${timings.length} ${Math.min(...timings).toFixed(1)} ms`,
    );
    expect(timings[0]).toBeLessThan(1000);
    return rows;
  }

  it('one root fanning out to 999 children: only the root, then all 999 children are ready', async () => {
    const task = await createTask(db.pool, {
      steps: names,
      edges: names.slice(1).map((child): [string, string] => [names[0], child]),
    });

    const fresh = await timed('fan-out, fresh', task.taskId);
    expect(fresh).toHaveLength(1000);
    expect(fresh.filter((row) => row.ready_for_execution).map((row) => row.name)).toEqual([names[0]]);
    expect(fresh.filter((row) => row.total_parents === 1)).toHaveLength(999);

    await complete(task, names[0]);
    const after = await timed('fan-out, root complete', task.taskId);
    expect(after).toHaveLength(1000);
    expect(after.filter((row) => row.ready_for_execution).map((row) => row.name)).toEqual(names.slice(1));
  });

  it('a 1,000-step linear chain: only the head, then exactly the step after the completed prefix', async () => {
    const task = await createTask(db.pool, {
      steps: names,
      edges: names.slice(1).map((child, i): [string, string] => [names[i], child]),
    });

    const fresh = await timed('linear chain, fresh', task.taskId);
    expect(fresh).toHaveLength(1000);
    expect(fresh.filter((row) => row.ready_for_execution).map((row) => row.name)).toEqual([names[0]]);

    await complete(task, ...names.slice(0, 500));
    const half = await timed('linear chain, 500 complete', task.taskId);
    expect(half).toHaveLength(1000);
    expect(half.filter((row) => row.ready_for_execution).map((row) => row.name)).toEqual([names[500]]);
  });
});
