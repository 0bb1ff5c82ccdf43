import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

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

  it('start: creates the database under ./.tasker, migrates, and runs the demo task to completion', async () => {
    const { stdout } = await run(process.execPath, [cli, 'start'], { cwd, env });
    expect(stdout).toContain('Using the embedded PostgreSQL');
    expect(stdout).toContain('Registered task definitions: quickstart.welcome_user@1.0.0');
    expect(stdout).toMatch(/Created task 1 \(quickstart\.welcome_user@1\.0\.0\), status pending/);
    expect(stdout).toContain('record_onboarding [pending] after send_welcome_email, provision_storage');
    expect(stdout).toMatch(/Task 1 is complete after \d+ ms/);
    expect(stdout).toContain('record_onboarding [complete] results {"plan":"free","onboarded":true}');
    expect(fs.existsSync(path.join(cwd, '.tasker', 'pg', 'PG_VERSION'))).toBe(true);
  }, 60_000);

  it('start again: reuses the data directory and keeps the earlier task', async () => {
    const { stdout } = await run(process.execPath, [cli, 'start'], { cwd, env });
    expect(stdout).toMatch(/Created task 2 /);
  }, 60_000);

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
