import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { definitionYaml, handlersModule, testModule, type TaskScaffold } from './generate-templates';
import { exitWithUsageCode, UsageError, USAGE_EXIT_CODE } from './usage-error';

const IDENTIFIER = /^[a-z][a-z0-9_]{0,39}$/;
const DEFAULT_STEPS = 'validate_input,process_data';

interface GenerateOptions {
  dir: string;
  steps: string;
  force?: boolean;
}

function checkIdentifier(kind: string, value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new UsageError(
      `The ${kind} must be snake_case (a-z, 0-9 and _, starting with a letter, at most 40 characters), got "${value}"`,
    );
  }
  return value;
}

function scaffoldFor(namespace: string, name: string, stepList: string): TaskScaffold {
  const steps = stepList.split(',').map((step) => checkIdentifier('step name', step.trim()));
  if (new Set(steps).size !== steps.length) throw new UsageError(`Step names must be unique: ${stepList}`);
  return {
    namespace: checkIdentifier('namespace', namespace),
    name: checkIdentifier('task name', name),
    steps,
    yamlPath: `config/tasker/tasks/${namespace}/${name}.yaml`,
    handlersPath: `src/tasks/${namespace}/${name}.ts`,
    testPath: `test/tasks/${namespace}/${name}.test.ts`,
  };
}

function writeFiles(dir: string, files: ReadonlyArray<[string, string]>, force: boolean): void {
  const existing = files.map(([file]) => file).filter((file) => fs.existsSync(path.join(dir, file)));
  if (existing.length > 0 && !force) {
    throw new UsageError(`Not overwriting ${existing.join(', ')} (use --force to replace)`);
  }
  for (const [file, text] of files) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
}

function generateTask(namespace: string, name: string, options: GenerateOptions): void {
  const scaffold = scaffoldFor(namespace, name, options.steps);
  const files: Array<[string, string]> = [
    [scaffold.yamlPath, definitionYaml(scaffold)],
    [scaffold.handlersPath, handlersModule(scaffold)],
    [scaffold.testPath, testModule(scaffold)],
  ];
  writeFiles(options.dir, files, Boolean(options.force));
  for (const [file] of files) console.log(`created ${path.join(options.dir, file)}`);
  console.log(
    `\nRegister the handlers with \`stepHandlers\` from ${scaffold.handlersPath}; the engine reads YAML ` +
      `definitions from ./config/tasker/tasks by default. The test needs vitest and a PostgreSQL server ` +
      `(TASKER_TEST_ADMIN_URL).`,
  );
}

export function registerGenerateCommand(program: Command): void {
  const generate = program.command('generate').description('write starter files');
  exitWithUsageCode(generate);
  exitWithUsageCode(
    generate
      .command('task')
      .description('a YAML task definition, a TypeScript module of step handlers and a vitest test')
      .argument('<namespace>', 'the namespace (snake_case)')
      .argument('<name>', 'the task name (snake_case)')
      .option('--dir <dir>', 'project folder to write into', '.')
      .option('--steps <list>', 'comma-separated step names, run one after another', DEFAULT_STEPS)
      .option('--force', 'overwrite files that exist')
      .action((namespace: string, name: string, options: GenerateOptions) => {
        try {
          generateTask(namespace, name, options);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          console.error(error.message);
          process.exitCode = USAGE_EXIT_CODE;
        }
      }),
  );
}
