import type { JobAttempt } from 'pg-boss';
import type { Logger } from '../interfaces';
import type { StepJob, StepQueue } from '../queue/step-queue';

export interface NamespaceWorkerOptions {
  /** Most steps this process runs at once for the namespace. */
  concurrency: number;
  /** Most jobs claimed per fetch. */
  batchSize: number;
  /** Polling interval when nothing wakes the worker. */
  pollIntervalMs: number;
  heartbeatSeconds: number;
}

const FETCH_ERROR_DELAY_MS = 1_000;

/** The concurrency slot a step job runs in. */
export interface StepSlot {
  /** False once the worker is stopping: the slot must not take on more work. */
  accepting(): boolean;
  /** The slot goes on with `next`, a job this process claimed itself; heartbeats follow it. */
  handOff(previous: StepJob, next: StepJob): void;
}

/**
 * Claims step jobs of one namespace and hands them to `run`, keeping at most `concurrency` in
 * flight. It sleeps between empty fetches but wakes at once when told jobs were enqueued, and it
 * heartbeats the jobs it holds so a dead process's jobs are redelivered elsewhere.
 */
export class NamespaceWorker {
  private readonly inFlight = new Map<string, JobAttempt>();
  private running = false;
  private wakePending = false;
  private wakeSleeper: (() => void) | undefined;
  private slotWaiter: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly drained: Array<() => void> = [];

  constructor(
    readonly namespace: string,
    private readonly queue: StepQueue,
    private readonly run: (job: StepJob, slot: StepSlot) => Promise<void>,
    private readonly options: NamespaceWorkerOptions,
    private readonly logger: Logger,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
    this.heartbeat = setInterval(() => void this.sendHeartbeat(), (this.options.heartbeatSeconds * 1000) / 2);
    this.heartbeat.unref();
  }

  /** Jobs were enqueued: fetch now instead of at the next poll. */
  wake(): void {
    this.wakePending = true;
    this.wakeSleeper?.();
  }

  hasCapacity(): boolean {
    return this.running && this.inFlight.size < this.options.concurrency;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Stops claiming; waits for running steps until `deadline` (epoch ms). Returns how many were still running. */
  async stop(deadline: number): Promise<number> {
    this.running = false;
    this.wake();
    this.slotWaiter?.();
    await this.loopDone;
    if (this.inFlight.size > 0) {
      const drained = new Promise<void>((resolve) => this.drained.push(resolve));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      });
      await Promise.race([drained, timeout]);
      // A pending timer would keep the process alive until the deadline after the steps drained.
      clearTimeout(timer);
    }
    clearInterval(this.heartbeat);
    return this.inFlight.size;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const capacity = this.options.concurrency - this.inFlight.size;
      if (capacity <= 0) {
        await new Promise<void>((resolve) => (this.slotWaiter = resolve));
        continue;
      }
      this.wakePending = false;
      let jobs: StepJob[];
      try {
        jobs = await this.queue.fetch(this.namespace, Math.min(this.options.batchSize, capacity));
      } catch (error) {
        this.logger.error({ err: error, namespace: this.namespace }, 'Fetching step jobs failed');
        await this.sleep(FETCH_ERROR_DELAY_MS);
        continue;
      }
      for (const job of jobs) this.dispatch(job);
      if (jobs.length === 0 && !this.wakePending) await this.sleep(this.options.pollIntervalMs);
    }
  }

  private dispatch(job: StepJob): void {
    let current = job;
    this.inFlight.set(job.id, { id: job.id, retryCount: job.retryCount });
    const slot: StepSlot = {
      accepting: () => this.running,
      handOff: (previous, next) => {
        this.inFlight.delete(previous.id);
        this.inFlight.set(next.id, { id: next.id, retryCount: next.retryCount });
        current = next;
      },
    };
    this.run(job, slot)
      .catch((error: unknown) =>
        this.logger.error({ err: error, jobId: current.id }, 'A step job failed unexpectedly'),
      )
      .finally(() => {
        this.inFlight.delete(current.id);
        this.slotWaiter?.();
        this.slotWaiter = undefined;
        if (this.inFlight.size === 0) this.drained.splice(0).forEach((resolve) => resolve());
      });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeSleeper = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private async sendHeartbeat(): Promise<void> {
    try {
      await this.queue.touch(this.namespace, [...this.inFlight.values()]);
    } catch (error) {
      this.logger.warn({ err: error, namespace: this.namespace }, 'Heartbeat for running steps failed');
    }
  }
}
