import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { insertTask, type TaskSeed } from '../support/sql-seed';

interface LevelRow {
  workflow_step_id: number;
  dependency_level: number;
}

describe('calculate_dependency_levels', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  async function levelRows(taskId: number): Promise<LevelRow[]> {
    const { rows } = await db.pool.query<LevelRow>('SELECT * FROM calculate_dependency_levels($1)', [taskId]);
    return rows;
  }

  /** Seeds the task and returns each step's level by the step's position in `seed.steps`. */
  async function levelsOf(seed: TaskSeed): Promise<number[]> {
    const { taskId, stepIds } = await insertTask(db.pool, seed);
    const rows = await levelRows(taskId);
    const byStep = new Map(rows.map((row) => [row.workflow_step_id, row.dependency_level]));
    return stepIds.map((id) => byStep.get(id) ?? -1);
  }

  function chain(length: number): Array<[number, number]> {
    return Array.from({ length: length - 1 }, (_unused, i): [number, number] => [i, i + 1]);
  }

  it('puts roots at level 0 and each step of a linear chain one level below its parent', async () => {
    expect(await levelsOf({ steps: 4, edges: chain(4) })).toEqual([0, 1, 2, 3]);
  });

  it('gives both branches of a diamond the same level and the join the next one', async () => {
    // a -> b, a -> c, b -> d, c -> d
    const edges: Array<[number, number]> = [
      [0, 1],
      [0, 2],
      [1, 3],
      [2, 3],
    ];
    expect(await levelsOf({ steps: ['a', 'b', 'c', 'd'], edges })).toEqual([0, 1, 1, 2]);
  });

  it('levels a fan-out / fan-in', async () => {
    // root -> five workers -> sink
    const workers = [1, 2, 3, 4, 5];
    const edges: Array<[number, number]> = [
      ...workers.map((w): [number, number] => [0, w]),
      ...workers.map((w): [number, number] => [w, 6]),
    ];
    expect(await levelsOf({ steps: 7, edges })).toEqual([0, 1, 1, 1, 1, 1, 2]);
  });

  it('levels disconnected components from their own roots, and an isolated step is a root', async () => {
    // x1 -> x2 -> x3,  y1 -> y2,  z alone
    const seed: TaskSeed = {
      steps: ['x1', 'x2', 'x3', 'y1', 'y2', 'z'],
      edges: [
        [0, 1],
        [1, 2],
        [3, 4],
      ],
    };
    expect(await levelsOf(seed)).toEqual([0, 1, 2, 0, 1, 0]);
  });

  it('uses the longest path from a root, not the shortest', async () => {
    // a -> b -> c -> d and the shortcut a -> d: d is 3 deep, though 1 hop from the root.
    const { taskId, stepIds } = await insertTask(db.pool, {
      steps: ['a', 'b', 'c', 'd'],
      edges: [[0, 1], [1, 2], [2, 3], [0, 3]],
    });
    const levels = await levelRows(taskId);
    expect(levels.find((row) => row.workflow_step_id === stepIds[3])?.dependency_level).toBe(3);
    const { rows } = await db.pool.query<{ min_depth_from_root: number }>(
      'SELECT min_depth_from_root FROM tasker_step_dag_relationships WHERE workflow_step_id = $1',
      [stepIds[3]],
    );
    expect(rows[0].min_depth_from_root).toBe(1);
  });

  it('takes the longest of several unequal routes through a lattice', async () => {
    // s -> a -> b -> c -> t,  s -> d -> t,  s -> t,  a -> d,  d -> c
    // longest: s, a, d, c, t (4); shortest to t: 1.
    const seed: TaskSeed = {
      steps: ['s', 'a', 'b', 'c', 'd', 't'],
      edges: [[0, 1], [1, 2], [2, 3], [3, 5], [0, 4], [4, 5], [0, 5], [1, 4], [4, 3]],
    };
    expect(await levelsOf(seed)).toEqual([0, 1, 2, 3, 2, 4]);
  });

  it('orders rows by level, then by step id', async () => {
    // Dependencies run against id order: the last-created step is the root.
    const { taskId, stepIds } = await insertTask(db.pool, {
      steps: ['leaf_b', 'leaf_a', 'middle', 'root'],
      edges: [[3, 2], [2, 1], [2, 0]],
    });
    expect(await levelRows(taskId)).toEqual([
      { workflow_step_id: stepIds[3], dependency_level: 0 },
      { workflow_step_id: stepIds[2], dependency_level: 1 },
      { workflow_step_id: stepIds[0], dependency_level: 2 },
      { workflow_step_id: stepIds[1], dependency_level: 2 },
    ]);
  });

  it("returns only the given task's steps, and nothing for a task without steps or an unknown task", async () => {
    const empty = await insertTask(db.pool, { steps: 0 });
    await insertTask(db.pool, { steps: 3, edges: chain(3) });
    const one = await insertTask(db.pool, { steps: 2, edges: chain(2) });
    expect((await levelRows(one.taskId)).map((row) => row.workflow_step_id)).toEqual(one.stepIds);
    expect(await levelRows(empty.taskId)).toEqual([]);
    expect(await levelRows(-1)).toEqual([]);
  });

  it('omits steps on a dependency cycle (and their descendants) instead of looping', async () => {
    // root -> a -> b -> a (cycle) -> c; other is a second, healthy root.
    const seed: TaskSeed = {
      steps: ['root', 'a', 'b', 'c', 'other'],
      edges: [[0, 1], [1, 2], [2, 1], [2, 3]],
    };
    expect(await levelsOf(seed)).toEqual([0, -1, -1, -1, 0]);
  });

  it('handles a dense lattice without enumerating its paths', async () => {
    // Every step depends on every earlier one: 2^58 paths reach the last of 60 steps.
    const size = 60;
    const edges: Array<[number, number]> = [];
    for (let child = 1; child < size; child += 1) {
      for (let parent = 0; parent < child; parent += 1) edges.push([parent, child]);
    }
    const started = performance.now();
    const levels = await levelsOf({ steps: size, edges });
    const elapsed = performance.now() - started;
    expect(levels).toEqual(Array.from({ length: size }, (_unused, i) => i));
    expect(elapsed).toBeLessThan(5_000);
  });

  it('levels a 1,000-step chain (level 999) and a 1,000-step fan-out quickly', async () => {
    const chainTask = await insertTask(db.pool, { name: 'long_chain', steps: 1000, edges: chain(1000) });
    const fanOutTask = await insertTask(db.pool, {
      name: 'wide_fan_out',
      steps: 1000,
      edges: Array.from({ length: 999 }, (_unused, i): [number, number] => [0, i + 1]),
    });

    const chainStarted = performance.now();
    const chainLevels = await levelRows(chainTask.taskId);
    const chainMs = performance.now() - chainStarted;
    const fanOutStarted = performance.now();
    const fanOutLevels = await levelRows(fanOutTask.taskId);
    const fanOutMs = performance.now() - fanOutStarted;
    console.log(`calculate_dependency_levels: 1,000-step chain ${chainMs.toFixed(1)} ms, fan-out ${fanOutMs.toFixed(1)} ms`);

    expect(chainLevels).toHaveLength(1000);
    expect(chainLevels.map((row) => row.workflow_step_id)).toEqual(chainTask.stepIds);
    expect(chainLevels.at(-1)).toEqual({ workflow_step_id: chainTask.stepIds[999], dependency_level: 999 });
    expect(fanOutLevels).toHaveLength(1000);
    expect(fanOutLevels[0]).toEqual({ workflow_step_id: fanOutTask.stepIds[0], dependency_level: 0 });
    expect(fanOutLevels.slice(1).every((row) => row.dependency_level === 1)).toBe(true);
    expect(chainMs).toBeLessThan(2_000);
    expect(fanOutMs).toBeLessThan(2_000);
  });
});
