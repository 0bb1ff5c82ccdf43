import fs from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { defaultLogger } from './config/logger';
import { startEmbeddedDatabase, type EmbeddedDatabase } from './db/embedded';
import { migrateUp } from './db/migrator';
import { createPool } from './db/pool';
import { findSteps, findTask, type StepRow, type TaskRow } from './db/queries/task-reads';
import { EventBus } from './events/event-bus';
import type { Logger, Task, TaskerEvents, TaskerOptions, TaskRequest, WorkflowStep } from './interfaces';
import { ContextValidator } from './orchestration/context-validator';
import { DefinitionStore } from './orchestration/definition-store';
import { TaskInitializer } from './orchestration/task-initializer';
import { TaskRegistry } from './registry/task-registry';
import { loadTaskDefinitionDirectory } from './registry/yaml';
import type { JsonObject, JsonValue, TaskDefinition } from './registry/types';
import type { StepState, TaskState } from './state/states';
import { TransitionService } from './state/transition-service';

const DEFAULT_TASK_DIRECTORY = path.join('config', 'tasker', 'tasks');

interface Runtime {
  pool: pg.Pool;
  embedded: EmbeddedDatabase | undefined;
  initializer: TaskInitializer;
}

/** The programmatic API: everything the router, the CLI and tests use. */
export class TaskerEngine {
  readonly registry: TaskRegistry;
  readonly events: TaskerEvents;
  readonly logger: Logger;
  private readonly bus: EventBus;
  private readonly transitions: TransitionService;
  private runtime: Promise<Runtime> | undefined;
  private closed = false;

  constructor(private readonly options: TaskerOptions = {}) {
    this.logger = options.logger ?? defaultLogger();
    this.bus = new EventBus((error, event) =>
      this.logger.error({ err: error, event: event.name }, 'An event subscriber failed'),
    );
    this.events = { subscribe: (pattern, subscriber) => this.bus.subscribe(pattern, subscriber) };
    this.transitions = new TransitionService(this.bus);
    this.registry = new TaskRegistry({ stepHandlers: options.stepHandlers ?? {} });
    for (const definition of options.tasks ?? []) this.registry.register(definition);
  }

  /** Connects (starting the embedded database when no URL is configured), migrates and loads YAML definitions. */
  ready(): Promise<void> {
    return this.started().then(() => undefined);
  }

  /** Registers one more definition (e.g. after `ready()`); `replace` swaps an existing version. */
  register(definition: TaskDefinition, options: { replace?: boolean } = {}): void {
    this.registry.register(definition, options);
  }

  async createTask(request: TaskRequest): Promise<Task> {
    const { initializer } = await this.started();
    return initializer.createTask(request);
  }

  /** The task with its steps, or `undefined` when there is no such task. */
  async getTask(taskId: number): Promise<Task | undefined> {
    const { pool } = await this.started();
    const [task, steps] = await Promise.all([findTask(pool, taskId), findSteps(pool, taskId)]);
    return task ? toTask(task, steps) : undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.runtime) return;
    const runtime = await this.runtime.catch(() => undefined);
    if (!runtime) return;
    await runtime.pool.end();
    await runtime.embedded?.stop();
  }

  private started(): Promise<Runtime> {
    if (this.closed) return Promise.reject(new Error('The Tasker engine is closed'));
    this.runtime ??= this.start();
    return this.runtime;
  }

  private async start(): Promise<Runtime> {
    this.loadTaskDirectory();
    const configuredUrl = this.options.databaseUrl ?? process.env.DATABASE_URL;
    const embedded = configuredUrl
      ? undefined
      : await startEmbeddedDatabase({ dataDirectory: this.options.dataDirectory });
    if (embedded)
      this.logger.info({ url: embedded.url }, 'Using the embedded PostgreSQL (DATABASE_URL is not set)');
    const pool = createPool({
      connectionString: configuredUrl ?? (embedded as EmbeddedDatabase).url,
      max: this.options.poolSize,
    });
    pool.on('error', (error) => this.logger.error({ err: error }, 'Idle database connection failed'));
    try {
      if (this.options.migrate !== false) {
        const applied = await migrateUp(pool);
        if (applied.length > 0) this.logger.info({ applied }, 'Applied database migrations');
      }
    } catch (error) {
      await pool.end();
      await embedded?.stop();
      throw error;
    }
    const initializer = new TaskInitializer({
      pool,
      registry: this.registry,
      definitions: new DefinitionStore(pool),
      contextValidator: new ContextValidator(),
      transitions: this.transitions,
      identityStrategy: this.options.identityStrategy ?? 'default',
      onAfterCommitError: (error) => this.logger.error({ err: error }, 'Publishing after commit failed'),
    });
    return { pool, embedded, initializer };
  }

  private loadTaskDirectory(): void {
    const directory = this.options.taskDirectory ?? DEFAULT_TASK_DIRECTORY;
    const explicit = this.options.taskDirectory !== undefined;
    if (!explicit && !fs.existsSync(directory)) return;
    for (const definition of loadTaskDefinitionDirectory(directory)) this.registry.register(definition);
  }
}

/** Creates an engine without any I/O; `ready()` (or the first call that needs the database) starts it. */
export function createEngine(options: TaskerOptions = {}): TaskerEngine {
  return new TaskerEngine(options);
}

function toStep(row: StepRow, context: JsonObject): WorkflowStep {
  return {
    ...row,
    status: row.status as StepState,
    inputs: (row.inputs as JsonObject | null) ?? context,
    results: (row.results as JsonValue | null) ?? null,
  };
}

function toTask(row: TaskRow, steps: StepRow[]): Task {
  const context = row.context as JsonObject;
  return {
    ...row,
    status: row.status as TaskState,
    fullName: `${row.namespace}.${row.name}@${row.version}`,
    initiator: row.initiator ?? 'unknown',
    sourceSystem: row.sourceSystem ?? 'unknown',
    reason: row.reason ?? 'unknown',
    context,
    steps: steps.map((step) => toStep(step, context)),
  };
}
