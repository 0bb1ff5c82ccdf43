import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAnalyticsContext } from '../../examples/data_pipeline';
import { sampleOrderContext } from '../../examples/ecommerce';
import { sampleRegistrationContext } from '../../examples/microservices';

const run = promisify(execFile);
const cli = path.resolve(__dirname, '../../dist/src/cli/main.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** What a child process printed so far, and a way to wait for a line. */
function collectOutput(child: ChildProcess) {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => finish(new Error(`no ${pattern} in time:\n${stdout}\n${stderr}`)),
          timeoutMs,
        );
        const check = () => {
          const match = pattern.exec(stdout);
          if (match) finish(undefined, match);
        };
        const exited = () => finish(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`));
        function finish(error?: Error, match?: RegExpMatchArray) {
          clearTimeout(timer);
          child.stdout?.off('data', check);
          child.off('exit', exited);
          if (match) resolve(match);
          else reject(error);
        }
        child.stdout?.on('data', check);
        child.once('exit', exited);
        check();
      });
    },
  };
}

async function createTask(url: string, task: Record<string, unknown>): Promise<number> {
  const response = await fetch(`${url}/tasker/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task }),
  });
  const body = (await response.json()) as { task: { task_id: number } };
  expect(response.status, JSON.stringify(body)).toBe(201);
  return body.task.task_id;
}

async function settledStatus(url: string, taskId: number, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { task } = (await (await fetch(`${url}/tasker/tasks/${taskId}`)).json()) as {
      task: { status: string };
    };
    if (['complete', 'error', 'cancelled'].includes(task.status) || Date.now() > deadline) return task.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('tasker CLI without DATABASE_URL (embedded PostgreSQL)', () => {
  let cwd: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-cli-'));
    fs.chmodSync(cwd, 0o755);
    env = { ...process.env, TASKER_EMBEDDED_PORT: String(await freePort()) };
    delete env.DATABASE_URL;
  });
  afterAll(() => fs.rmSync(cwd, { recursive: true, force: true }));

  it('start --once: creates the database under ./.tasker, migrates, and runs the demo task to completion', async () => {
    const { stdout } = await run(process.execPath, [cli, 'start', '--once'], { cwd, env });
    expect(stdout).toContain('Using the embedded PostgreSQL');
    expect(stdout).toContain('Registered task definitions: quickstart.welcome_user@1.0.0');
    expect(stdout).toMatch(/Created task 1 \(quickstart\.welcome_user@1\.0\.0\), status pending/);
    expect(stdout).toContain('record_onboarding [pending] after send_welcome_email, provision_storage');
    expect(stdout).toMatch(/Task 1 is complete after \d+ ms/);
    expect(stdout).toContain('record_onboarding [complete] results {"plan":"free","onboarded":true}');
    expect(fs.existsSync(path.join(cwd, '.tasker', 'pg', 'PG_VERSION'))).toBe(true);
  }, 60_000);

  it('start --once again: reuses the data directory and keeps the earlier task', async () => {
    const { stdout } = await run(process.execPath, [cli, 'start', '--once'], { cwd, env });
    expect(stdout).toMatch(/Created task 2 /);
  }, 60_000);

  it('start: serves the API with every example until SIGTERM, then shuts down cleanly', async () => {
    const server = spawn(process.execPath, [cli, 'start', '--port', '0'], { cwd, env });
    const output = collectOutput(server);
    try {
      const url = (await output.waitFor(/listening on (http:\/\/\S+)/))[1];
      // The banner is written in several chunks: wait for its last line before reading it.
      await output.waitFor(/Press Ctrl\+C to stop/);
      const printed = output.stdout();
      for (const line of ['/tasker/tasks', '/tasker/graphql', '/tasker/health/ready', '/tasker/metrics']) {
        expect(printed).toContain(`${url}${line}`);
      }
      expect(printed).toMatch(/curl -s -X POST \S+\/tasker\/tasks .*"namespace":"quickstart"/);
      expect(printed).toContain(
        'data_pipeline.customer_analytics@1.0.0, ecommerce.process_order@1.0.0, microservices.user_registration@1.0.0, quickstart.welcome_user@1.0.0',
      );
      expect((await fetch(`${url}/tasker/health/ready`)).status).toBe(200);

      const requests = [
        {
          name: 'welcome_user',
          namespace: 'quickstart',
          context: { user_id: 7, email: 'grace@example.com' },
        },
        { name: 'process_order', namespace: 'ecommerce', context: sampleOrderContext() },
        { name: 'customer_analytics', namespace: 'data_pipeline', context: sampleAnalyticsContext() },
        { name: 'user_registration', namespace: 'microservices', context: sampleRegistrationContext() },
      ];
      const ids = await Promise.all(requests.map((task) => createTask(url, task)));
      const statuses = await Promise.all(ids.map((id) => settledStatus(url, id)));
      expect(statuses).toEqual(['complete', 'complete', 'complete', 'complete']);
    } finally {
      server.kill('SIGTERM');
    }
    const code = await new Promise<number | null>((resolve) =>
      server.once('exit', (exitCode) => resolve(exitCode)),
    );
    expect(code, output.stderr()).toBe(0);
    expect(output.stdout()).toMatch(
      /Received SIGTERM; finishing running steps\nTasker demo server stopped\n$/,
    );
  }, 90_000);

  it('migrate reports an up-to-date schema, as JSON when asked', async () => {
    const { stdout } = await run(process.execPath, [cli, 'migrate', '--json'], { cwd, env });
    expect(JSON.parse(stdout)).toEqual({ applied: [] });
    const status = await run(process.execPath, [cli, 'migrate', 'status'], { cwd, env });
    expect(status.stdout).toMatch(/^applied {2}0001_schema\.sql$/m);
  }, 60_000);

  it('rejects an unknown command with a non-zero exit code and help', async () => {
    const failure = await run(process.execPath, [cli, 'frobnicate'], { cwd, env }).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toMatch(/unknown command 'frobnicate'/);
  });
});
