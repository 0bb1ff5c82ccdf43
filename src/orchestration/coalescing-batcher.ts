interface Waiting<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

export interface CoalescingBatcherOptions {
  /** Most items per batch. */
  maxBatchSize: number;
  /** Most batches running at once. */
  maxConcurrentBatches: number;
  /**
   * When a batch of several items fails, run each of them as a batch of its own, so one bad item
   * fails alone (otherwise every item of the batch is rejected with the batch's error).
   */
  retryAloneOnFailure?: boolean;
}

/**
 * Runs items in batches without waiting for a batch to fill: an item submitted while no batch is
 * running starts one at once (with whatever else was submitted in the same tick), and items
 * submitted while batches are running wait for the next one. An idle system pays no latency; a
 * busy one shares each round trip and commit between many items (group commit).
 */
export class CoalescingBatcher<I, R> {
  private readonly waiting: Array<Waiting<I, R>> = [];
  private running = 0;
  private scheduled = false;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<R[]>,
    private readonly options: CoalescingBatcherOptions,
  ) {
    if (!(options.maxBatchSize >= 1) || !(options.maxConcurrentBatches >= 1)) {
      throw new Error('CoalescingBatcher: maxBatchSize and maxConcurrentBatches must be at least 1');
    }
  }

  submit(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  /** Items submitted and not yet settled, running or waiting. */
  get size(): number {
    return this.waiting.length;
  }

  private pump(): void {
    while (this.running < this.options.maxConcurrentBatches && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.options.maxBatchSize);
      this.running++;
      void this.run(batch);
    }
  }

  private async run(batch: Array<Waiting<I, R>>): Promise<void> {
    try {
      try {
        await this.settle(batch);
      } catch (error) {
        if (!this.options.retryAloneOnFailure || batch.length === 1) throw error;
        for (const waiting of batch)
          await this.settle([waiting]).catch((alone: unknown) => waiting.reject(alone));
      }
    } catch (error) {
      batch.forEach((waiting) => waiting.reject(error));
    } finally {
      this.running--;
      this.pump();
    }
  }

  private async settle(batch: Array<Waiting<I, R>>): Promise<void> {
    const results = await this.runBatch(batch.map((waiting) => waiting.item));
    if (results.length !== batch.length) {
      throw new Error(`CoalescingBatcher: a batch of ${batch.length} returned ${results.length} results`);
    }
    batch.forEach((waiting, index) => waiting.resolve(results[index]));
  }
}
