import { InvalidArgumentError, type Command } from 'commander';
import { createEngine } from '../engine';
import { STEP_STATES } from '../state/states';
import { consoleLogger } from './console-logger';
import { databaseOptions } from './database-options';
import { statusReport, type StatusReport } from './status-report';
import { oneLine, textTable } from './text-table';
import { exitWithUsageCode } from './usage-error';

const MAX_FAILURES = 100;

function failureCount(value: string): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < 0 || count > MAX_FAILURES) {
    throw new InvalidArgumentError(`expected an integer from 0 to ${MAX_FAILURES}`);
  }
  return count;
}

function formatReport(report: StatusReport): string {
  const counts = textTable(
    ['STATE', 'TASKS', 'STEPS'],
    [...STEP_STATES, 'total' as const].map((state) => [state, report.tasks[state], report.steps[state]]),
  );
  const { retries, connections } = report;
  const health =
    `Steps in error that will be retried: ${retries.retryableErrorSteps}, in backoff: ${retries.inBackoffSteps}, ` +
    `out of retries: ${retries.exhaustedRetrySteps}. Database connections: ${connections.active}/${connections.max}.`;
  return [counts, '', health, '', formatFailures(report)].join('\n');
}

function formatFailures({ recentFailures }: StatusReport): string {
  if (recentFailures.length === 0) return 'No tasks in error.';
  const rows = recentFailures.flatMap((failure) => {
    const steps = failure.failedSteps.length > 0 ? failure.failedSteps : [undefined];
    return steps.map((step) => [
      failure.taskId,
      failure.task,
      failure.failedAt ?? '',
      step?.name ?? '(none)',
      step ? `${step.attempts}/${step.retryLimit}` : '',
      step ? oneLine([step.errorClass, step.message].filter(Boolean).join(': '), 80) : '',
    ]);
  });
  return `Recent failures:\n${textTable(['TASK', 'NAME', 'FAILED AT', 'STEP', 'ATTEMPTS', 'ERROR'], rows)}`;
}

/** PostgreSQL's undefined_function and undefined_table: the migrations have not run. */
const MISSING_SCHEMA_CODES: readonly unknown[] = ['42883', '42P01'];

function explainMissingSchema(error: unknown): never {
  if (MISSING_SCHEMA_CODES.includes((error as { code?: unknown }).code)) {
    throw new Error('The database has no Tasker schema (or an old one); run `tasker migrate` first.', {
      cause: error,
    });
  }
  throw error;
}

export function registerStatusCommand(program: Command): void {
  const command = program
    .command('status')
    .description('task and step counts by state, and the latest failed tasks with their failing steps')
    .option('--json', 'print the report as JSON')
    .option('--failures <n>', `how many recent failed tasks to list (0–${MAX_FAILURES})`, failureCount, 10)
    .action(async (options: { json?: boolean; failures: number }) => {
      const engine = createEngine({
        ...databaseOptions(),
        worker: false,
        migrate: false,
        metrics: false,
        tracing: false,
        logger: consoleLogger('warn'),
      });
      try {
        const report = await statusReport(engine, options.failures).catch(explainMissingSchema);
        console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
      } finally {
        await engine.close();
      }
    });
  exitWithUsageCode(command);
}
