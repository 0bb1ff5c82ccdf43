/**
 * `npm run bench [-- --quick] [-- --only <scenario>[,<scenario>…]] [-- --poll-hops <n>]`
 *
 * Each scenario gets a fresh database on the local server (dropped afterwards); the raw pg-boss
 * baseline runs in this same process, so the Tasker / pg-boss ratios hold on a noisy machine.
 * Prints a table to stdout (progress goes to stderr) and writes bench/results/<date>.json.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchDatabaseName, createDatabase, dropDatabase, serverVersion } from './lib/db';
import { withTimeout } from './lib/timeout';
import type { Figure, Scenario, ScenarioContext, Settings } from './lib/types';
import { analytics100k } from './scenarios/analytics-100k';
import { BASELINE_SCHEMA, baselineChain } from './scenarios/baseline-chain';
import { apiLoad } from './scenarios/api-load';
import { chainThroughput } from './scenarios/chain-throughput';
import { fanOut } from './scenarios/fan-out';
import { linear4 } from './scenarios/linear-4';
import { readinessSql } from './scenarios/readiness-sql';
import { recovery } from './scenarios/recovery';
import { stepLatency } from './scenarios/step-latency';
import { singleStepThroughput } from './scenarios/throughput';
import { POOL_SIZE, WORKER } from './lib/tasker';

const SCENARIOS: Scenario[] = [
  baselineChain,
  stepLatency,
  singleStepThroughput,
  chainThroughput,
  linear4,
  fanOut,
  analytics100k,
  readinessSql,
  apiLoad,
  recovery,
];
const CLEANUP_TIMEOUT_MS = 15_000;

/** This file runs as .bench-build/bench/run.js; the repository is two levels up. */
const REPO_ROOT = path.resolve(__dirname, '..', '..');
const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

const FULL: Settings = {
  quick: false,
  warmup: 20,
  notifyHops: 1_000,
  pollHops: 200,
  throughputChains: 20,
  throughputHopsPerChain: 200,
  stepLatencyRuns: 1_000,
  throughputTasks: 2_000,
  throughputInFlight: 16,
  linearRuns: 200,
  fanOutChildren: 1_000,
  readinessCalls: 50,
  readinessHistoryTasks: 100_000,
  apiLoadSeconds: 10,
  apiConnections: 16,
  recoveryRuns: 3,
};

const QUICK: Settings = {
  ...FULL,
  quick: true,
  warmup: 5,
  notifyHops: 200,
  pollHops: 20,
  throughputHopsPerChain: 25,
  stepLatencyRuns: 100,
  throughputTasks: 300,
  linearRuns: 30,
  fanOutChildren: 200,
  readinessCalls: 10,
  readinessHistoryTasks: 10_000,
  apiLoadSeconds: 3,
  recoveryRuns: 1,
};

interface Options {
  settings: Settings;
  only: string[] | undefined;
}

function usage(): string {
  return [
    'usage: npm run bench [-- --quick] [-- --only <scenario>[,<scenario>...]] [-- --poll-hops <n>]',
    `scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    'env: BENCH_QUICK=1 (same as --quick), TASKER_BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/postgres)',
  ].join('\n');
}

function parseArgs(argv: string[]): Options {
  let quick = process.env.BENCH_QUICK === '1' || process.env.BENCH_QUICK === 'true';
  let only: string[] | undefined;
  let pollHops: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value\n${usage()}`);
      return v;
    };
    if (flag === '--quick') quick = true;
    else if (flag === '--only') only = [...(only ?? []), ...value().split(',').filter(Boolean)];
    else if (flag === '--poll-hops') pollHops = Number(value());
    else if (flag === '--help' || flag === '-h') {
      console.log(usage());
      process.exit(0);
    } else throw new Error(`unknown argument ${argv[i]}\n${usage()}`);
  }
  const unknown = (only ?? []).filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(', ')}\n${usage()}`);
  if (pollHops !== undefined && !(Number.isInteger(pollHops) && pollHops > 0)) {
    throw new Error('--poll-hops must be a positive integer');
  }
  const settings = { ...(quick ? QUICK : FULL), ...(pollHops ? { pollHops } : {}) };
  return { settings, only };
}

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

interface ScenarioResult {
  name: string;
  status: 'ok' | 'failed';
  error?: string;
  seconds: number;
  figures: Figure[];
}

async function runScenario(scenario: Scenario, settings: Settings): Promise<ScenarioResult> {
  const database = benchDatabaseName(scenario.name);
  const figures: Figure[] = [];
  const cleanups: Array<() => Promise<void>> = [];
  const startedAt = performance.now();
  const timeoutMs = scenario.timeoutMs(settings);
  progress(`▶ ${scenario.name} (database ${database}, time limit ${Math.round(timeoutMs / 1000)} s)`);
  let error: string | undefined;
  try {
    const databaseUrl = await withTimeout(createDatabase(database), 30_000, `creating ${database} timed out`);
    const ctx: ScenarioContext = {
      settings,
      databaseUrl,
      record: (figure) => figures.push(figure),
      onCleanup: (cleanup) => cleanups.push(cleanup),
      progress: (message) => progress(`  ${scenario.name}: ${message}`),
    };
    await withTimeout(
      scenario.run(ctx),
      timeoutMs,
      `${scenario.name} did not finish within ${Math.round(timeoutMs / 1000)} s`,
    );
  } catch (caught) {
    error = caught instanceof Error ? caught.message : String(caught);
    progress(`✖ ${scenario.name} failed: ${error}`);
  }
  for (const cleanup of cleanups.reverse()) {
    try {
      await withTimeout(cleanup(), CLEANUP_TIMEOUT_MS, 'timed out');
    } catch (caught) {
      progress(
        `  ${scenario.name}: cleanup failed: ${caught instanceof Error ? caught.message : String(caught)}`,
      );
    }
  }
  try {
    const leftover = await withTimeout(dropDatabase(database), 30_000, 'timed out');
    if (leftover.length > 0) {
      progress(`  ${scenario.name}: sessions still open 5 s after cleanup: ${leftover.join(', ')}`);
    }
  } catch (caught) {
    progress(`  could not drop ${database}: ${caught instanceof Error ? caught.message : String(caught)}`);
  }
  const seconds = (performance.now() - startedAt) / 1000;
  if (!error) progress(`✔ ${scenario.name} (${seconds.toFixed(1)} s)`);
  return { name: scenario.name, status: error ? 'failed' : 'ok', error, seconds, figures };
}

interface Row {
  scenario: string;
  metric: string;
  value: number;
  unit: Figure['unit'];
  key?: string;
  baseline?: { key: string; value: number };
  /** Tasker ÷ pg-boss: above 1 is slower for latencies, below 1 is slower for rates. */
  ratio?: number;
}

function toRows(results: ScenarioResult[]): Row[] {
  const byKey = new Map<string, number>();
  for (const figure of results.flatMap((r) => r.figures)) if (figure.key) byKey.set(figure.key, figure.value);
  return results.flatMap((result) =>
    result.figures.map((figure): Row => {
      const baselineValue = figure.baseline === undefined ? undefined : byKey.get(figure.baseline);
      return {
        scenario: result.name,
        metric: figure.metric,
        value: round(figure.value),
        unit: figure.unit,
        ...(figure.key ? { key: figure.key } : {}),
        ...(figure.baseline && baselineValue !== undefined
          ? {
              baseline: { key: figure.baseline, value: round(baselineValue) },
              ratio: round(figure.value / baselineValue),
            }
          : {}),
      };
    }),
  );
}

function round(x: number): number {
  return Number.isFinite(x) ? Math.round(x * 100) / 100 : x;
}

function formatValue(value: number, unit: Figure['unit']): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 'ms')
    return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;
  if (unit === '/s')
    return `${value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} /s`;
  return String(value);
}

function renderTable(rows: Row[]): string {
  const header = ['scenario', 'metric', 'value', 'pg-boss baseline', 'Tasker / pg-boss'];
  const body = rows.map((row) => [
    row.scenario,
    row.metric,
    formatValue(row.value, row.unit),
    row.baseline ? formatValue(row.baseline.value, row.unit) : '',
    row.ratio === undefined ? '' : `${row.ratio.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const numeric = [false, false, true, true, true];
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

async function main(): Promise<number> {
  const { settings, only } = parseArgs(process.argv.slice(2));
  const selected = only ? SCENARIOS.filter((s) => only.includes(s.name)) : SCENARIOS;
  const machine = {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? null,
    totalMemoryBytes: os.totalmem(),
    totalMemoryGiB: round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    postgres: await withTimeout(serverVersion(), 30_000, 'SHOW server_version timed out'),
    /** 1-minute load average before and after: other work on the box shows up here. */
    loadAverage: { start: round(os.loadavg()[0]), end: Number.NaN },
  };
  const commit = gitCommit();
  progress(
    `${settings.quick ? 'quick' : 'full'} run of ${selected.map((s) => s.name).join(', ')}; ` +
      `${machine.cpus} CPUs, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}`,
  );
  const startedAt = new Date();
  const results: ScenarioResult[] = [];
  for (const scenario of selected) results.push(await runScenario(scenario, settings));
  const rows = toRows(results);
  machine.loadAverage.end = round(os.loadavg()[0]);

  console.log(
    `\nTasker benchmarks (${settings.quick ? 'quick' : 'full'} run), commit ${commit ?? 'unknown'}, ` +
      `${machine.cpus} CPUs, ${machine.totalMemoryGiB} GiB, Node ${machine.node}, PostgreSQL ${machine.postgres}, ` +
      `load average ${machine.loadAverage.start} → ${machine.loadAverage.end}\n`,
  );
  console.log(renderTable(rows));
  if (!results.some((r) => r.name === baselineChain.name)) {
    console.log('\n(no ratios: the pg-boss baseline-chain scenario did not run in this process)');
  }
  const failed = results.filter((r) => r.status === 'failed');
  for (const result of failed) console.log(`\nFAILED ${result.name}: ${result.error}`);

  const report = {
    date: startedAt.toISOString(),
    kind: settings.quick ? 'quick' : 'full',
    commit,
    machine,
    settings: {
      ...settings,
      engine: { worker: WORKER, poolSize: POOL_SIZE, logger: 'pino warn' },
      baseline: {
        schema: BASELINE_SCHEMA,
        latency:
          'batchSize 1, localConcurrency 1, pollingIntervalSeconds 0.5; notify run: useListenNotify + queue notify',
        throughput: 'batchSize = chains, localConcurrency 1, pollingIntervalSeconds 0.5, burstWhenBatchFull',
      },
    },
    scenarios: results.map(({ name, status, error, seconds }) => ({
      name,
      status,
      error,
      seconds: round(seconds),
    })),
    figures: rows,
  };
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const partial = settings.quick || only !== undefined;
  const stamp = startedAt
    .toISOString()
    .replace(/:/g, '-')
    .replace(/\.\d+Z$/, 'Z');
  const file = path.join(RESULTS_DIR, `${stamp}${settings.quick ? '-quick' : only ? '-partial' : ''}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  fs.writeFileSync(file, json);
  // latest.json is the reference: only complete, full-size runs replace it
  if (!partial) fs.writeFileSync(path.join(RESULTS_DIR, 'latest.json'), json);
  progress(`wrote ${path.relative(REPO_ROOT, file)}${partial ? '' : ' and bench/results/latest.json'}`);
  return failed.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
