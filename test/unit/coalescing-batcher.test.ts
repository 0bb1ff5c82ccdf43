import { describe, expect, it } from 'vitest';
import { CoalescingBatcher } from '../../src/orchestration/coalescing-batcher';

function deferred() {
  let release!: () => void;
  const done = new Promise<void>((resolve) => (release = resolve));
  return { done, release };
}

describe('CoalescingBatcher', () => {
  it('runs a lone item at once, and items submitted in the same tick together', async () => {
    const batches: number[][] = [];
    const batcher = new CoalescingBatcher<number, number>(
      async (items) => {
        batches.push(items);
        return items.map((item) => item * 10);
      },
      { maxBatchSize: 10, maxConcurrentBatches: 1 },
    );
    expect(await batcher.submit(1)).toBe(10);
    expect(await Promise.all([batcher.submit(2), batcher.submit(3), batcher.submit(4)])).toEqual([
      20, 30, 40,
    ]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('groups the items that arrive while a batch runs into the next one, up to the batch size', async () => {
    const gate = deferred();
    const batches: number[][] = [];
    const batcher = new CoalescingBatcher<number, number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate.done;
        return items;
      },
      { maxBatchSize: 3, maxConcurrentBatches: 1 },
    );
    const first = batcher.submit(0);
    await Promise.resolve();
    const later = [1, 2, 3, 4, 5].map((item) => batcher.submit(item));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(batches).toEqual([[0]]);
    gate.release();
    expect(await Promise.all([first, ...later])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5]]);
  });

  it('runs up to maxConcurrentBatches at once', async () => {
    const gate = deferred();
    let running = 0;
    let most = 0;
    const batcher = new CoalescingBatcher<number, number>(
      async (items) => {
        running++;
        most = Math.max(most, running);
        await gate.done;
        running--;
        return items;
      },
      { maxBatchSize: 1, maxConcurrentBatches: 2 },
    );
    const all = Promise.all([1, 2, 3, 4].map((item) => batcher.submit(item)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(running).toBe(2);
    gate.release();
    await all;
    expect(most).toBe(2);
  });

  it('rejects every item of a failed batch and goes on with the next', async () => {
    let calls = 0;
    const batcher = new CoalescingBatcher<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return items;
      },
      { maxBatchSize: 10, maxConcurrentBatches: 1 },
    );
    const failed = Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect((await failed).map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(await batcher.submit(3)).toBe(3);
  });

  it('rejects a batch whose function returns the wrong number of results', async () => {
    const batcher = new CoalescingBatcher<number, number>(async () => [], {
      maxBatchSize: 10,
      maxConcurrentBatches: 1,
    });
    await expect(batcher.submit(1)).rejects.toThrow(/returned 0 results/);
  });

  it('with retryAloneOnFailure, runs each item of a failed batch alone so only the bad one fails', async () => {
    const batches: number[][] = [];
    const batcher = new CoalescingBatcher<number, number>(
      async (items) => {
        batches.push(items);
        if (items.includes(2)) throw new Error(`bad ${items.join(',')}`);
        return items.map((item) => item * 10);
      },
      { maxBatchSize: 10, maxConcurrentBatches: 1, retryAloneOnFailure: true },
    );
    const settled = await Promise.allSettled([1, 2, 3].map((item) => batcher.submit(item)));
    expect(settled).toEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('bad 2') },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
  });
});
