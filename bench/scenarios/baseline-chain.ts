import { PgBoss } from 'pg-boss';
import { deferred, untilDoneOrStalled } from '../lib/progress';
import { distribution } from '../lib/stats';
import { sleep } from '../lib/timeout';
import type { Scenario, ScenarioContext } from '../lib/types';

/** pg-boss's own tables for the raw baseline (the engine uses `tasker_pgboss` in its own database). */
export const BASELINE_SCHEMA = 'bench_pgboss';
/** pg-boss's minimum polling interval. */
const POLL_SECONDS = 0.5;
const STALL_MS = 30_000;

interface Started {
  boss: PgBoss;
  stop: () => Promise<void>;
}

async function startBoss(ctx: ScenarioContext, useListenNotify: boolean): Promise<Started> {
  const boss = new PgBoss({ connectionString: ctx.databaseUrl, schema: BASELINE_SCHEMA, useListenNotify });
  boss.on('error', (error: Error) => ctx.progress(`pg-boss error: ${error.message}`));
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= boss.stop({ graceful: false, close: true, timeout: 5_000 }));
  ctx.onCleanup(stop);
  await boss.start();
  return { boss, stop };
}

/**
 * One chain on an idle queue: each job's handler takes a timestamp, then `send()`s the next job.
 * A hop is that timestamp → the next handler's first line, so it includes the send, pg-boss's
 * completion of the current job and the worker's next fetch.
 */
async function chainLatency(ctx: ScenarioContext, mode: 'poll' | 'notify', hops: number): Promise<number[]> {
  const { boss, stop } = await startBoss(ctx, mode === 'notify');
  const queue = `chain_${mode}`;
  await boss.createQueue(queue, { retryLimit: 0, notify: mode === 'notify' });
  // polling hops cost a poll interval each, and are all alike: a short warm-up is enough
  const warmup = mode === 'poll' ? Math.min(3, ctx.settings.warmup) : ctx.settings.warmup;
  const last = warmup + hops;
  const samples: number[] = [];
  const finished = deferred();
  let doneAt = 0;
  let seen = 0;
  await boss.work<{ hop: number }>(
    queue,
    { batchSize: 1, localConcurrency: 1, pollingIntervalSeconds: POLL_SECONDS },
    async ([job]) => {
      const startedAt = performance.now();
      seen += 1;
      const { hop } = job.data;
      if (hop > warmup) samples.push(startedAt - doneAt);
      if (hop >= last) return finished.resolve();
      try {
        doneAt = performance.now();
        await boss.send(queue, { hop: hop + 1 });
      } catch (error) {
        finished.reject(new Error(`send failed at hop ${hop}: ${String(error)}`));
      }
    },
  );
  await sleep(1_500); // let the worker (and the LISTEN connection) settle
  await boss.send(queue, { hop: 0 });
  await untilDoneOrStalled(
    finished.promise,
    () => seen,
    STALL_MS,
    () => `${mode} chain stuck after ${seen} jobs`,
  );
  await stop();
  return samples;
}

/**
 * `chains` hand-made chains at once: a worker claims up to `chains` jobs per fetch (burst mode keeps
 * it fetching while batches come back full) and each job `send()`s its successor before the batch
 * completes in one statement.
 */
async function chainThroughput(ctx: ScenarioContext, chains: number, hopsPerChain: number): Promise<number> {
  const { boss, stop } = await startBoss(ctx, false);
  const queue = 'chain_throughput';
  await boss.createQueue(queue, { retryLimit: 0 });
  await Promise.all(Array.from({ length: chains }, (_, chain) => boss.send(queue, { chain, hop: 1 })));
  const total = chains * hopsPerChain;
  let processed = 0;
  let lastAt = 0;
  const finished = deferred();
  const startedAt = performance.now();
  await boss.work<{ chain: number; hop: number }>(
    queue,
    {
      batchSize: chains,
      localConcurrency: 1,
      pollingIntervalSeconds: POLL_SECONDS,
      burstWhenBatchFull: true,
    },
    async (jobs) => {
      try {
        await Promise.all(
          jobs
            .filter((job) => job.data.hop < hopsPerChain)
            .map((job) => boss.send(queue, { chain: job.data.chain, hop: job.data.hop + 1 })),
        );
      } catch (error) {
        finished.reject(new Error(`send failed: ${String(error)}`));
      }
      processed += jobs.length;
      if (processed >= total) {
        lastAt = performance.now();
        finished.resolve();
      }
    },
  );
  await untilDoneOrStalled(
    finished.promise,
    () => processed,
    STALL_MS,
    () => `throughput chains stuck at ${processed}/${total} jobs`,
  );
  await stop();
  return (total / (lastAt - startedAt)) * 1000;
}

export const baselineChain: Scenario = {
  name: 'baseline-chain',
  timeoutMs: (s) =>
    60_000 + s.pollHops * 2_000 + s.notifyHops * 200 + s.throughputChains * s.throughputHopsPerChain * 50,
  async run(ctx) {
    const { settings } = ctx;
    for (const mode of ['notify', 'poll'] as const) {
      const hops = mode === 'notify' ? settings.notifyHops : settings.pollHops;
      ctx.progress(`pg-boss chain, ${mode}: ${hops} hops`);
      const d = distribution(await chainLatency(ctx, mode, hops));
      const label = mode === 'notify' ? 'hop, LISTEN/NOTIFY' : 'hop, polling 0.5 s';
      for (const p of ['p50', 'p95', 'p99', 'max'] as const) {
        ctx.record({
          metric: `${label} ${p} (n=${d.n})`,
          value: d[p],
          unit: 'ms',
          key: `baseline.${mode}.${p}`,
        });
      }
    }
    const { throughputChains: chains, throughputHopsPerChain: hops } = settings;
    ctx.progress(`pg-boss throughput: ${chains} chains × ${hops} hops`);
    ctx.record({
      metric: `throughput, ${chains} parallel chains (${chains * hops} jobs)`,
      value: await chainThroughput(ctx, chains, hops),
      unit: '/s',
      key: 'baseline.throughput',
    });
  },
};
