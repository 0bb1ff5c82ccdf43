import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess, tasker } from '../testing/fixtures/run-cli';

const root = path.resolve(__dirname, '../..');
const bin = {
  prettier: path.join(root, 'node_modules/prettier/bin/prettier.cjs'),
  eslint: path.join(root, 'node_modules/eslint/bin/eslint.js'),
  tsc: path.join(root, 'node_modules/typescript/bin/tsc'),
  vitest: path.join(root, 'node_modules/vitest/vitest.mjs'),
};

/** The environment without this vitest run's own variables, so a nested vitest starts clean, and without colours. */
function cleanEnv(): Record<string, string | undefined> {
  const inherited = Object.keys(process.env).map((key) => [
    key,
    key.startsWith('VITEST') || key === 'FORCE_COLOR' ? undefined : process.env[key],
  ]);
  return { ...Object.fromEntries(inherited), NO_COLOR: '1' };
}

function tool(script: string, args: string[], timeoutMs = 120_000) {
  return runProcess(process.execPath, [script, ...args], { env: cleanEnv(), timeoutMs });
}

describe('tasker generate task', () => {
  // Inside the repository, so the project's own Prettier, ESLint, TypeScript and vitest settings
  // apply; but at the top level rather than under test/, so that a full test run or type check
  // started meanwhile by someone else does not pick the files up.
  const dir = path.join(root, `.generated-${randomBytes(4).toString('hex')}`);
  const rel = path.relative(root, dir);

  beforeAll(async () => {
    const first = await tasker(['generate', 'task', 'cli_gen', 'order_intake', '--dir', rel]);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const second = await tasker([
      'generate',
      'task',
      'a_namespace_name_that_is_forty_chars_xyz',
      'a_task_name_that_is_exactly_forty_chars_',
      '--dir',
      rel,
      '--steps',
      'extract,a_step_name_that_is_also_forty_chars_xyz,load_into_warehouse,notify',
    ]);
    expect(second.code).toBe(0);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes a YAML definition, a handler module and a test, and lists them', async () => {
    const files = fs
      .readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.includes('.'))
      .sort();
    expect(files).toEqual([
      'config/tasker/tasks/a_namespace_name_that_is_forty_chars_xyz/a_task_name_that_is_exactly_forty_chars_.yaml',
      'config/tasker/tasks/cli_gen/order_intake.yaml',
      'src/tasks/a_namespace_name_that_is_forty_chars_xyz/a_task_name_that_is_exactly_forty_chars_.ts',
      'src/tasks/cli_gen/order_intake.ts',
      'test/tasks/a_namespace_name_that_is_forty_chars_xyz/a_task_name_that_is_exactly_forty_chars_.test.ts',
      'test/tasks/cli_gen/order_intake.test.ts',
    ]);
    const yaml = fs.readFileSync(path.join(dir, 'config/tasker/tasks/cli_gen/order_intake.yaml'), 'utf8');
    expect(yaml).toContain('handler_class: OrderIntake::ProcessData');
    expect(yaml).toContain('depends_on_step: validate_input');
  });

  it('passes Prettier unchanged', async () => {
    const result = await tool(bin.prettier, ['--check', rel]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('passes ESLint unchanged', async () => {
    const result = await tool(bin.eslint, ['--max-warnings', '0', rel]);
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('type-checks with the project settings', async () => {
    // In a user's project `tasker-engine` resolves from node_modules; here it is this package
    // itself (a self-reference through "exports"), which TypeScript maps once rootDir is set.
    // The config lives outside the repository so that nothing but the generated files is added to it.
    const config = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-generate-')), 'tsconfig.json');
    fs.writeFileSync(
      config,
      JSON.stringify({
        extends: path.join(root, 'tsconfig.json'),
        compilerOptions: { noEmit: true, rootDir: root, typeRoots: [path.join(root, 'node_modules/@types')] },
        include: [path.join(dir, '**/*.ts')],
      }),
    );
    const result = await tool(bin.tsc, ['-p', config]);
    fs.rmSync(path.dirname(config), { recursive: true, force: true });
    expect(result.code, result.stdout + result.stderr).toBe(0);
  });

  it('has a test that passes against PostgreSQL with the project vitest config', async () => {
    const result = await tool(bin.vitest, ['run', '--dir', rel], 240_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Tests +6 passed \(6\)/);
  }, 250_000);

  it('refuses to overwrite files unless --force is given', async () => {
    const refused = await tasker(['generate', 'task', 'cli_gen', 'order_intake', '--dir', rel]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Not overwriting config/tasker/tasks/cli_gen/order_intake.yaml');
    const forced = await tasker(['generate', 'task', 'cli_gen', 'order_intake', '--dir', rel, '--force']);
    expect(forced.code).toBe(0);
  });

  it.each([
    [['generate', 'task', 'Shop', 'order'], /The namespace must be snake_case/],
    [['generate', 'task', 'shop', 'order-intake'], /The task name must be snake_case/],
    [['generate', 'task', 'shop', 'order', '--steps', 'a,a'], /Step names must be unique/],
    [['generate', 'task', 'shop', 'order', '--steps', 'a,'], /The step name must be snake_case/],
    [['generate', 'task', 'shop'], /missing required argument 'name'/],
    [['generate', 'widget'], /unknown command 'widget'/],
  ])('exits 2 on %j', async (args, message) => {
    const result = await tasker([...args, '--dir', rel]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
  });
});
