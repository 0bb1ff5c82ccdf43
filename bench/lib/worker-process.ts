import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/** This file runs as .bench-build/bench/lib/worker-process.js; the repository is three levels up. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves once the process has exited (at once if it already has). */
  exited: Promise<void>;
  /** Sends `signal` unless the process has exited, and waits for the exit. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts `tasker worker --config <config>` (as test/support/worker-process.ts does); resolves once it runs steps. */
export async function startWorkerProcess(
  databaseUrl: string,
  config: string,
  env: Record<string, string> = {},
  startTimeoutMs = 30_000,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [CLI, 'worker', '--config', config], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  const handle: WorkerProcess = {
    child,
    output: () => output,
    exited,
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker did not start within ${startTimeoutMs} ms:\n${output}`)),
        startTimeoutMs,
      );
      const check = () => {
        if (output.includes('is running steps')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`worker exited with ${code ?? signal}:\n${output}`));
      });
    });
  } catch (error) {
    await handle.kill('SIGKILL');
    throw error;
  }
  return handle;
}
