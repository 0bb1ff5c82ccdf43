import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestEngine, type TestDatabase } from '../../src/testing';
import type { TaskerEngine } from '../../src/engine';
import { startWorkerProcess } from '../support/worker-process';
import { CLI, CLI_CONFIG, runProcess, tasker } from '../testing/fixtures/run-cli';

describe('tasker run', () => {
  let db: TestDatabase;
  let reader: TaskerEngine;
  let dir: string;
  let greetContext: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    reader = createTestEngine(db, { worker: false });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-run-'));
    greetContext = path.join(dir, 'greet.json');
    fs.writeFileSync(greetContext, JSON.stringify({ who: 'ada' }));
  });
  afterAll(async () => {
    await reader.close();
    await db.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (args: string[], input?: string) => tasker(['run', ...args], { databaseUrl: db.url, input });

  it('creates the task, prints its id and exits without running it', async () => {
    const result = await run(['cli_run/greet', '--config', CLI_CONFIG, '--context', greetContext]);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^\d+\n$/);
    const task = await reader.getTask(Number(result.stdout));
    expect(task).toMatchObject({ status: 'pending', context: { who: 'ada' }, initiator: 'tasker run' });
    expect(task?.steps.every((step) => step.attempts === 0)).toBe(true);
  });

  it('prints {taskId, task, status} with --json and reads the context from standard input with -', async () => {
    const result = await run(
      ['cli_run/greet', '--config', CLI_CONFIG, '--context', '-', '--json'],
      '{"who":"bo"}',
    );
    expect(result.code).toBe(0);
    const printed = JSON.parse(result.stdout) as { taskId: number };
    expect(printed).toEqual({ taskId: expect.any(Number), task: 'cli_run.greet@0.1.0', status: 'pending' });
    expect((await reader.getTask(printed.taskId))?.context).toEqual({ who: 'bo' });
  });

  it('--work runs the steps in-process, printing one line per transition and each failed attempt, and exits 0', async () => {
    const result = await run(['cli_run/greet', '--config', CLI_CONFIG, '--context', greetContext, '--work']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^Created task (\d+) \(cli_run\.greet@0\.1\.0\) with 3 steps$/);
    const transitions = lines
      .filter((line) => /^\d\d:\d\d:\d\d\.\d{3} /.test(line))
      .map((line) => line.slice(13));
    expect(transitions).toEqual(
      expect.arrayContaining([
        'step hello: pending → in_progress',
        'step hello: in_progress → complete',
        'step flaky: in_progress → error',
        'step flaky: error → pending',
        'step flaky: in_progress → complete',
        'step goodbye: in_progress → complete',
      ]),
    );
    expect(transitions.at(-1)).toMatch(/^task \d+: in_progress → complete$/);
    expect(result.stdout).toContain(
      '  flaky attempt 1/3 failed: RetryableError: the flaky service hiccuped\n',
    );
    expect(result.stdout).toMatch(/Task \d+ \(cli_run\.greet@0\.1\.0\) is complete after \d+\.\d s\./);
    expect(result.stdout).toMatch(/^flaky +complete +2\/3 *$/m);
  });

  it('exits 1 when the task fails, and --json prints the final task with the step error', async () => {
    const result = await run(['cli_run/doomed', '--config', CLI_CONFIG, '--work', '--json']);
    expect(result.code).toBe(1);
    const task = JSON.parse(result.stdout) as { status: string; steps: unknown[] };
    expect(task.status).toBe('error');
    expect(task.steps).toEqual([
      expect.objectContaining({ name: 'prepare', status: 'complete', error: null }),
      expect.objectContaining({
        name: 'explode',
        status: 'error',
        attempts: 1,
        retryLimit: 1,
        error: {
          message: 'the detonator was armed',
          errorClass: 'PermanentError',
          errorCode: 'BOOM',
          attempt: 1,
        },
      }),
    ]);
  });

  it('--wait follows a task whose steps run in a separate `tasker worker` process', async () => {
    const worker = await startWorkerProcess(db.url, {}, CLI_CONFIG);
    try {
      const result = await run([
        'cli_run/greet',
        '--config',
        CLI_CONFIG,
        '--context',
        greetContext,
        '--wait',
      ]);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('step goodbye: in_progress → complete');
      expect(result.stdout).toContain('flaky attempt 1/3 failed: RetryableError: the flaky service hiccuped');
      expect(result.stdout).toMatch(/is complete after/);
    } finally {
      await worker.stop();
    }
  });

  it('redraws a table of the steps in place on a terminal', async () => {
    const command = [
      process.execPath,
      CLI,
      'run',
      'cli_run/greet',
      '--config',
      CLI_CONFIG,
      '--context',
      greetContext,
      '--work',
    ]
      .map((word) => `'${word}'`)
      .join(' ');
    // script(1) gives the command a pseudo-terminal, so stdout.isTTY is true.
    const result = await runProcess('script', ['-qec', command, '/dev/null'], {
      env: { DATABASE_URL: db.url },
    });
    expect(result.code).toBe(0);
    const output = result.stdout.replace(/\r/g, '');
    expect(output).toContain('\u001b[5F\u001b[J');
    expect(output).toMatch(
      /Task \d+ cli_run\.greet@0\.1\.0: complete \(3\/3 steps done, \d+\.\d s\)\nSTEP +STATUS +ATTEMPTS +DETAIL\n/,
    );
    expect(output).toMatch(/goodbye +pending +0\/3 +after flaky/);
    expect(output).not.toMatch(/→/);
  });

  it('exits 124 when --timeout runs out before the task settles', async () => {
    const result = await run([
      'cli_run/greet',
      '--config',
      CLI_CONFIG,
      '--context',
      greetContext,
      '--wait',
      '--timeout',
      '1',
    ]);
    expect(result.code).toBe(124);
    expect(result.stdout).toMatch(/is pending after \d+\.\d s; stopped waiting after --timeout 1 s\./);
  });

  it('creates a task from a YAML definition given with --definitions, without handlers', async () => {
    const yaml = path.join(dir, 'ship.yaml');
    fs.writeFileSync(
      yaml,
      'name: ship\nnamespace_name: cli_yaml\nstep_templates:\n  - name: pack\n    handler_class: Pack\n',
    );
    const result = await run(['cli_yaml/ship', '--definitions', dir]);
    expect(result.code).toBe(0);
    expect((await reader.getTask(Number(result.stdout)))?.fullName).toBe('cli_yaml.ship@0.1.0');
  });

  describe('usage errors exit 2 with a message', () => {
    it.each([
      [
        'a missing context file',
        ['cli_run/greet', '--context', '/nonexistent/context.json'],
        /Cannot read the context file/,
      ],
      ['a context file that is not JSON', ['cli_run/greet', '--context', '-'], /is not valid JSON/, '{oops'],
      [
        'a context that is not an object',
        ['cli_run/greet', '--context', '-'],
        /must contain a JSON object/,
        '[1]',
      ],
      [
        'a context the schema refuses',
        ['cli_run/greet', '--context', '-'],
        /Context for .* is invalid: .*who/,
        '{}',
      ],
      ['an unknown task', ['cli_run/nope'], /nope/],
      [
        'an unknown version',
        ['cli_run/greet', '--version', '9.9.9', '--context', '-'],
        /9\.9\.9/,
        '{"who":"x"}',
      ],
      ['a malformed task name', ['a/b/c'], /Expected <namespace>\/<name>, got "a\/b\/c"/],
      ['a missing task argument', [], /missing required argument 'task'/],
      ['an unknown option', ['cli_run/greet', '--frobnicate'], /unknown option '--frobnicate'/],
      ['a bad --timeout', ['cli_run/greet', '--timeout', 'soon'], /expected a number of seconds > 0/],
      [
        'a missing --definitions path',
        ['cli_run/greet', '--definitions', '/nonexistent'],
        /Cannot read task definitions/,
      ],
    ])('%s', async (_case, args, message, input?: string) => {
      const needsConfig = !args.includes('--definitions') && args.length > 0 && args[0] !== 'a/b/c';
      const result = await run(needsConfig ? [...args, '--config', CLI_CONFIG] : args, input);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    });
  });
});
