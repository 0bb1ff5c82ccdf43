import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const CLI = path.join(ROOT, 'dist/src/cli/main.js');
const FIXTURES = path.resolve(__dirname, '../fixtures');
export const WORKER_CONFIG = path.join(FIXTURES, 'worker-config.cjs');
const API_SERVER = path.join(FIXTURES, 'api-server.cjs');

export interface StressProcess {
  readonly role: 'api' | 'worker';
  readonly child: ChildProcess;
  readonly pid: number;
  /** Where the process appends its RSS / event-loop samples (JSON lines). */
  readonly statsFile: string;
  output(): string;
  /** Resolves with the exit code / signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then wait for the exit. */
  stop(): Promise<void>;
}

export interface ApiProcess extends StressProcess {
  readonly port: number;
  readonly baseUrl: string;
}

let sequence = 0;
const live = new Set<ChildProcess>();

const statsFiles: string[] = [];

// A scenario that fails or is interrupted must not leave API or worker processes (or files) behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
  for (const file of statsFiles) fs.rmSync(file, { force: true });
});

function statsFileFor(role: string): string {
  sequence += 1;
  const file = path.join(os.tmpdir(), `tasker-stress-${process.pid}-${role}-${sequence}.jsonl`);
  statsFiles.push(file);
  return file;
}

function spawnNode(
  role: 'api' | 'worker',
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  timeoutMs = 30_000,
): Promise<{ process: StressProcess; match: RegExpMatchArray }> {
  const statsFile = statsFileFor(role);
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'warn', STRESS_STATS_FILE: statsFile, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const handle: StressProcess = {
    role,
    child,
    pid: child.pid ?? -1,
    statsFile,
    output: () => output,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: (signal) => {
      if (handle.alive()) child.kill(signal);
    },
    async stop() {
      handle.kill('SIGTERM');
      await exited;
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      handle.kill('SIGKILL');
      reject(new Error(`${role} did not start within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const check = () => {
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve({ process: handle, match });
      }
    };
    child.stdout?.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${role} exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
}

/** `tasker worker --config test/stress/fixtures/worker-config.cjs`, resolved once it runs steps. */
export async function startWorker(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<StressProcess> {
  const { process: worker } = await spawnNode(
    'worker',
    [CLI, 'worker', '--config', WORKER_CONFIG],
    { DATABASE_URL: databaseUrl, ...env },
    /is running steps/,
  );
  return worker;
}

/** The API server fixture (REST + GraphQL + subscriptions, JWT auth, no workers), once it listens. */
export async function startApi(
  databaseUrl: string,
  publicKey: string,
  env: Record<string, string> = {},
): Promise<ApiProcess> {
  const { process: api, match } = await spawnNode(
    'api',
    [API_SERVER],
    { DATABASE_URL: databaseUrl, PORT: '0', STRESS_JWT_PUBLIC_KEY: publicKey, ...env },
    /listening (\d+)/,
  );
  const port = Number(match[1]);
  return { ...api, port, baseUrl: `http://127.0.0.1:${port}/tasker` };
}

export interface ProcessSample {
  role: string;
  pid: number;
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  lagMeanMs: number;
  lagP99Ms: number;
  lagMaxMs: number;
}

export function readSamples(statsFile: string): ProcessSample[] {
  if (!fs.existsSync(statsFile)) return [];
  return fs
    .readFileSync(statsFile, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ProcessSample);
}

export function removeStats(processes: readonly StressProcess[]): void {
  for (const p of processes) fs.rmSync(p.statsFile, { force: true });
}
