import { PgBoss, type JobAttempt } from 'pg-boss';
import type { Transaction } from '../db/transaction';
import type { Logger } from '../interfaces';

export interface StepJobData {
  taskId: number;
  stepId: number;
}

/** A step job this process holds: `retryCount` names the attempt (pg-boss fences settles with it). */
export interface StepJob {
  id: string;
  data: StepJobData;
  retryCount: number;
  /** When the job became due (queue wait = claim time − this); unknown for some claims. */
  startAfter?: Date;
}

export interface NewStepJob {
  taskId: number;
  stepId: number;
  startAfter?: Date;
}

export interface StepQueueOptions {
  connectionString: string;
  /** PostgreSQL schema for pg-boss's tables. */
  schema: string;
  /** Seconds between a worker's heartbeats before its jobs count as abandoned (pg-boss minimum 10). */
  heartbeatSeconds: number;
  /** How often (seconds) pg-boss looks for jobs whose worker stopped heart-beating. */
  recoveryCheckSeconds: number;
  /** Whether this process runs pg-boss's supervision (expiry, heartbeat checks, retention). */
  supervise: boolean;
  poolSize: number;
  logger: Logger;
}

/** pg-boss gives up on a job this many times before failing it; our own attempts logic stops far earlier. */
const JOB_REDELIVERY_LIMIT = 100;
/** pg-boss's maximum time a job may stay active; liveness comes from heartbeats, not from this. */
const JOB_EXPIRE_SECONDS = 24 * 60 * 60;

export function queueNameFor(namespace: string): string {
  return `tasker.${namespace}`;
}

/** A uuid[] column as node-postgres returns it: an array, or the array literal text. */
function parseUuidArray(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string' && value.startsWith('{') && value.endsWith('}')) {
    return value.length === 2 ? [] : value.slice(1, -1).split(',');
  }
  return undefined;
}

/** pg-boss's database adapter for statements that must run inside one of our transactions. */
function inTransaction(tx: Transaction) {
  return { executeSql: (text: string, values?: unknown[]) => tx.query(text, values) };
}

/**
 * Step jobs on pg-boss: one queue per namespace. Jobs are inserted, completed and cancelled inside
 * our own transactions, so a job exists exactly when the step state that needs it was committed.
 */
export class StepQueue {
  private readonly boss: PgBoss;
  private readonly queues = new Map<string, Promise<string>>();
  private enqueuedListener: (namespace: string) => void = () => undefined;

  constructor(private readonly options: StepQueueOptions) {
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema,
      max: options.poolSize,
      application_name: 'tasker-queue',
      supervise: options.supervise,
      schedule: false,
      superviseIntervalSeconds: options.recoveryCheckSeconds,
      monitorIntervalSeconds: options.recoveryCheckSeconds,
    });
    this.boss.on('error', (error) => options.logger.error({ err: error }, 'pg-boss error'));
  }

  async start(): Promise<void> {
    await this.boss.start();
  }

  async stop(): Promise<void> {
    await this.boss.stop({ graceful: false, close: true, timeout: 5_000 });
  }

  /** Called after a transaction that enqueued jobs for `namespace` commits. */
  onEnqueued(listener: (namespace: string) => void): void {
    this.enqueuedListener = listener;
  }

  ensureQueue(namespace: string): Promise<string> {
    let pending = this.queues.get(namespace);
    if (!pending) {
      const name = queueNameFor(namespace);
      pending = this.boss
        .createQueue(name, {
          retryLimit: JOB_REDELIVERY_LIMIT,
          retryDelay: 0,
          expireInSeconds: JOB_EXPIRE_SECONDS,
          heartbeatSeconds: this.options.heartbeatSeconds,
          deleteAfterSeconds: 60 * 60,
        })
        .then(() => name);
      this.queues.set(namespace, pending);
      pending.catch(() => this.queues.delete(namespace));
    }
    return pending;
  }

  async enqueue(tx: Transaction, namespace: string, jobs: readonly NewStepJob[]): Promise<void> {
    if (jobs.length === 0) return;
    const name = await this.ensureQueue(namespace);
    await this.boss.insert(
      name,
      jobs.map((job) => ({ data: { taskId: job.taskId, stepId: job.stepId }, startAfter: job.startAfter })),
      { db: inTransaction(tx) },
    );
    tx.afterCommit(() => this.enqueuedListener(namespace));
  }

  /**
   * Jobs (with ids the caller chose) for steps this process claims itself in the same transaction
   * (see SuccessRecorder): inserted the way `enqueue` inserts them, then moved to active as
   * pg-boss's fetch would (heartbeat and expiry included), so a crash before they finish
   * redelivers them like any fetched job. The schema name is used as pg-boss uses it.
   */
  async enqueueClaimed(
    tx: Transaction,
    namespace: string,
    jobs: ReadonlyArray<{ id: string; taskId: number; stepId: number }>,
  ): Promise<StepJob[]> {
    if (jobs.length === 0) return [];
    const name = await this.ensureQueue(namespace);
    const inserts = jobs.map((job) => ({ id: job.id, data: { taskId: job.taskId, stepId: job.stepId } }));
    await this.boss.insert(name, inserts, { db: inTransaction(tx) });
    const schema = this.options.schema;
    const { rows } = await tx.query<{ id: string; retryCount: number; startAfter: Date }>(
      `UPDATE ${schema}.job
          SET state = 'active', started_on = ${schema}.job_now(), heartbeat_on = ${schema}.job_now()
        WHERE name = $1 AND id = ANY ($2::uuid[]) AND state = 'created'
        RETURNING id, retry_count AS "retryCount", start_after AS "startAfter"`,
      [name, inserts.map((insert) => insert.id)],
    );
    if (rows.length !== inserts.length) {
      throw new Error(`Claimed ${rows.length} of ${inserts.length} step jobs just inserted`);
    }
    const byId = new Map(rows.map((row) => [row.id, row]));
    return inserts.map((insert) => {
      const row = byId.get(insert.id) as (typeof rows)[number];
      return { id: insert.id, data: insert.data, retryCount: row.retryCount, startAfter: row.startAfter };
    });
  }

  /** Completes the job if this attempt still holds it; false means the claim lapsed (expired, cancelled, retried). */
  async complete(tx: Transaction, namespace: string, job: JobAttempt): Promise<boolean> {
    const result = (await this.boss.complete(queueNameFor(namespace), job, null, {
      db: inTransaction(tx),
    })) as { affected?: number };
    return (result.affected ?? 0) > 0;
  }

  /**
   * Completes the jobs still held by these attempts in one statement; returns the ids completed (the
   * others' claims lapsed: expired, cancelled or retried).
   */
  async completeMany(tx: Transaction, namespace: string, jobs: readonly JobAttempt[]): Promise<Set<string>> {
    if (jobs.length === 0) return new Set();
    const result = (await this.boss.complete(queueNameFor(namespace), [...jobs], null, {
      db: inTransaction(tx),
    })) as { affected?: number; settled?: unknown };
    const settled = parseUuidArray(result.settled);
    if (settled) return new Set(settled);
    // Without the ids, only "all of them" is certain.
    if ((result.affected ?? 0) === jobs.length) return new Set(jobs.map((job) => job.id));
    throw new Error('pg-boss did not report which jobs it completed');
  }

  /** Cancels the task's jobs that are queued or running (optionally only one step's). */
  async cancelJobs(tx: Transaction, namespace: string, filter: Partial<StepJobData>): Promise<number> {
    const name = await this.ensureQueue(namespace);
    const jobs = await this.boss.findJobs<StepJobData>(name, { data: filter, db: inTransaction(tx) });
    const open = jobs.filter(
      (job) => job.state === 'created' || job.state === 'retry' || job.state === 'active',
    );
    if (open.length === 0) return 0;
    await this.boss.cancel(
      name,
      open.map((job) => job.id),
      { db: inTransaction(tx) },
    );
    return open.length;
  }

  async fetch(namespace: string, batchSize: number): Promise<StepJob[]> {
    const name = await this.ensureQueue(namespace);
    // With metadata, so the job's `startAfter` (when it became due) gives observers the queue wait.
    const jobs = await this.boss.fetch<StepJobData>(name, { batchSize, includeMetadata: true });
    return jobs.map((job) => ({
      id: job.id,
      data: job.data,
      retryCount: job.retryCount,
      startAfter: job.startAfter,
    }));
  }

  async touch(namespace: string, jobs: JobAttempt[]): Promise<void> {
    if (jobs.length > 0) await this.boss.touch(queueNameFor(namespace), jobs);
  }
}
