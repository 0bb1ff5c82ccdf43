import type { StepHandlerMap, Task, TaskDefinition, TaskerEngine, TaskRequest } from '../../src';

/** What an example brings to an engine: its definitions, its handlers and the systems they call. */
export interface ExampleSetup {
  tasks: TaskDefinition[];
  stepHandlers: StepHandlerMap;
  /** Stops whatever the example started (HTTP servers). */
  close(): Promise<void>;
}

export interface Example<Setup extends ExampleSetup = ExampleSetup> {
  name: string;
  description: string;
  setUp(): Promise<Setup>;
  /** Runs the example's scenarios on a ready engine, printing what happens (`npm run example`). */
  demonstrate(engine: TaskerEngine, setup: Setup, print: (line: string) => void): Promise<void>;
}

/** Creates a task, waits for it to settle and prints its steps. */
export async function runAndPrint(
  engine: TaskerEngine,
  request: TaskRequest,
  print: (line: string) => void,
): Promise<Task> {
  const created = await engine.createTask(request);
  const started = Date.now();
  const task = await engine.runUntilSettled(created.taskId, { timeoutMs: 120_000 });
  print(`Task ${task.taskId} (${task.fullName}) is ${task.status} after ${Date.now() - started} ms`);
  for (const step of task.steps) print(`  ${describeStep(step)}`);
  return task;
}

function describeStep(step: Task['steps'][number]): string {
  const attempts = `${step.attempts} attempt${step.attempts === 1 ? '' : 's'}`;
  const error = errorOf(step.results);
  return `${step.name} [${step.status}] ${attempts}${error ? ` — ${error}` : ''}`;
}

function errorOf(results: unknown): string | undefined {
  if (typeof results !== 'object' || results === null || !('_error' in results)) return undefined;
  const error = (results as { _error: { message?: string; error_code?: string | null } })._error;
  return [error.error_code, error.message].filter(Boolean).join(': ');
}
