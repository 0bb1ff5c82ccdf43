import type { EventCatalogEntry, EventPayload } from './events/catalog';
import type { TaskerEvent } from './events/event-bus';
import type { StepHandlerMap } from './handlers/step-handler';
import type { MetricsOptions } from './observability/metrics';
import type { TracingOptions } from './observability/tracing';
import type { JsonObject, JsonValue, TaskDefinition } from './registry/types';
import type { StepState, TaskState } from './state/states';

/** What a caller asks for when creating a task (REST and GraphQL map onto this). */
export interface TaskRequest {
  name: string;
  /** Default `'default'`. */
  namespace?: string;
  /** Exact version, or `'latest'` (the default when omitted): the highest registered semver. */
  version?: string;
  context: JsonObject;
  initiator?: string;
  sourceSystem?: string;
  reason?: string;
  tags?: string[];
  /** Names of skippable steps to skip: they are resolved manually at creation and never run. */
  bypassSteps?: string[];
  requestedAt?: Date | string;
}

/** The identity inputs handed to an identity strategy (reference §3.2). */
export interface TaskIdentityInput {
  name: string;
  namespace: string;
  version: string;
  initiator: string;
  sourceSystem: string;
  reason: string;
  context: JsonObject;
  bypassSteps: string[];
  requestedAt: Date;
}

/**
 * `'default'`: every task is unique; `'hash'`: identical requests within the same minute collide;
 * a function returns the identity string itself (at most 128 characters).
 */
export type IdentityStrategy = 'default' | 'hash' | ((identity: TaskIdentityInput) => string);

export interface WorkflowStep {
  workflowStepId: number;
  taskId: number;
  name: string;
  namedStepId: number;
  status: StepState;
  /** Names of the parent steps. */
  dependsOn: string[];
  parentIds: number[];
  childIds: number[];
  retryable: boolean;
  retryLimit: number;
  attempts: number;
  inProcess: boolean;
  processed: boolean;
  processedAt: Date | null;
  lastAttemptedAt: Date | null;
  backoffRequestSeconds: number | null;
  inputs: JsonObject;
  results: JsonValue | null;
  skippable: boolean;
  timeoutSeconds: number | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface Task {
  taskId: number;
  name: string;
  namespace: string;
  version: string;
  /** `<namespace>.<name>@<version>` */
  fullName: string;
  status: TaskState;
  complete: boolean;
  requestedAt: Date;
  initiator: string;
  sourceSystem: string;
  reason: string;
  tags: string[];
  bypassSteps: string[];
  context: JsonObject;
  identityHash: string;
  createdAt: Date;
  updatedAt: Date;
  steps: WorkflowStep[];
}

/** pino-compatible logger (the subset Tasker calls). */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface WorkerOptions {
  /** Most steps this process runs at once, per namespace; default 10. */
  concurrency?: number;
  /** Namespaces whose steps this process runs; default every namespace of the registered definitions. */
  namespaces?: string[];
  /** Most jobs claimed per fetch; default 10. */
  batchSize?: number;
  /** How often an idle worker polls when nothing wakes it (ms); default 1000. */
  pollIntervalMs?: number;
  /** A worker that misses heartbeats this long (seconds, ≥ 10) is presumed dead and its steps are retried elsewhere; default 30. */
  heartbeatSeconds?: number;
  /** How often (seconds) to look for steps abandoned by dead workers; default 10. */
  recoveryCheckSeconds?: number;
  /**
   * Eager dispatch: when a step's success makes steps of its task ready, this process claims the
   * first of them in the same transaction and runs it next in the same slot (one commit per hop
   * instead of an enqueue, a fetch and a claim); the others are queued for any worker. Default true.
   */
  eagerDispatch?: boolean;
}

export interface BackoffSettings {
  /** Delay after the first failed attempt (seconds); default 1. */
  initialSeconds?: number;
  /** Growth per attempt; default 2. */
  multiplier?: number;
  /** Upper bound (seconds); default 300. */
  maxSeconds?: number;
  /** Random spread as a fraction (0.1 = ±10 %); default 0.1. */
  jitter?: number;
}

export interface RunUntilSettledOptions {
  /** Reject if the task is not settled by then; default 30 000 ms. */
  timeoutMs?: number;
}

export interface TaskerOptions {
  /** PostgreSQL connection string; default `process.env.DATABASE_URL`, else an embedded PostgreSQL under `./.tasker/`. */
  databaseUrl?: string;
  /** Task definitions from `defineTask` (or parsed YAML). */
  tasks?: TaskDefinition[];
  /** Folder of YAML task definitions; default `./config/tasker/tasks` when it exists. */
  taskDirectory?: string;
  /** `handlerClass` name → `StepHandler` subclass or async function. */
  stepHandlers?: StepHandlerMap;
  /** Apply migrations in `ready()`; default true. */
  migrate?: boolean;
  logger?: Logger;
  identityStrategy?: IdentityStrategy;
  /** Connection pool size for the engine's queries; default 10. */
  poolSize?: number;
  /** Where the embedded PostgreSQL keeps its data when no database URL is given; default `./.tasker`. */
  dataDirectory?: string;
  /** Run step workers in this process (`false` for an API-only or script process); default on. */
  worker?: false | WorkerOptions;
  /** Retry backoff for failed steps (a handler's `retryAfterSeconds` always wins). */
  backoff?: BackoffSettings;
  /** PostgreSQL schema for pg-boss's tables; default `tasker_pgboss`. */
  queueSchema?: string;
  /** How long `close()` lets running steps finish (ms) before giving up on them; default 30 000. */
  shutdownTimeoutMs?: number;
  /**
   * Housekeeping in processes that run workers: when the server's autovacuum is off, vacuum and
   * analyze the busiest tables every `vacuumIntervalSeconds` (default 60); `false` for none.
   */
  maintenance?: false | { vacuumIntervalSeconds?: number };
  /** Prometheus metrics (prom-client) on `{ registry }`, or `false` for none; default a registry of the engine's own. */
  metrics?: MetricsOptions | false;
  /** OpenTelemetry spans on `{ tracerProvider }`, or `false` for none; default the global provider (a no-op without an SDK). */
  tracing?: TracingOptions | false;
}

export type EventSubscriber = (event: TaskerEvent) => void;

export interface TaskerEvents {
  /**
   * Patterns: an exact name, `prefix.*`, or `*`. Returns the unsubscribe function. A system event's
   * exact name types the payload (`subscribe('step.failed', (e) => e.payload.step_name)`).
   */
  subscribe<Pattern extends string>(
    pattern: Pattern,
    subscriber: (event: TaskerEvent<EventPayload<Pattern>>) => void,
  ): () => void;
  /** Every event this engine emits: the system events, then the custom events of registered definitions. */
  catalog(): EventCatalogEntry[];
}
