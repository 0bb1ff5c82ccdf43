import type pg from 'pg';
import { createTasksRows, type NewTaskRows } from '../db/queries/tasks';
import { withTransaction, type Transaction } from '../db/transaction';
import { InvalidRequestError, TaskConflictError, type ValidationDetail } from '../errors';
import type { EventBus } from '../events/event-bus';
import { publishAfterCommit, publishViableSteps } from '../events/system-events';
import type { IdentityStrategy, Task, TaskRequest, WorkflowStep } from '../interfaces';
import type { TraceCarrier } from '../observability/trace-context';
import type { TaskRegistry } from '../registry/task-registry';
import type { StepTemplate, TaskDefinition } from '../registry/types';
import type { TransitionService } from '../state/transition-service';
import { queueNameFor, type StepQueue } from '../queue/step-queue';
import { CoalescingBatcher } from './coalescing-batcher';
import type { TaskReconciler } from './task-reconciler';
import type { ContextValidator } from './context-validator';
import type { DefinitionStore, PersistedDefinition } from './definition-store';
import { computeIdentity } from './identity';
import { appendPointer } from './json-pointer';
import { normalizeTaskRequest, type NormalizedTaskRequest } from './task-request';

export interface TaskInitializerDependencies {
  pool: pg.Pool;
  registry: TaskRegistry;
  definitions: DefinitionStore;
  contextValidator: ContextValidator;
  transitions: TransitionService;
  reconciler: TaskReconciler;
  queue: StepQueue;
  identityStrategy: IdentityStrategy;
  bus: EventBus;
  onAfterCommitError: (error: unknown) => void;
}

/** The metadata of a step skipped through `bypassSteps`. */
const BYPASS_METADATA = { resolved_by: 'bypass_steps' };
const MAX_BATCH = 64;
const MAX_CONCURRENT_BATCHES = 2;

/** A validated request, ready to be written. */
interface PreparedCreation {
  request: NormalizedTaskRequest;
  definition: TaskDefinition;
  bypassed: StepTemplate[];
  /** Steps that get a job at once: not bypassed, and every parent bypassed. */
  ready: StepTemplate[];
  identityHash: string;
  persisted: PersistedDefinition;
  traceContext: TraceCarrier | null;
}

type CreationResult = { ok: true; task: Task } | { ok: false; error: unknown };

function createdMetadata(definition: TaskDefinition): Record<string, unknown> {
  return { step_count: definition.stepTemplates.length };
}

/** What `tasker_create_task` writes for one creation. */
function taskRowsInput(creation: PreparedCreation): NewTaskRows {
  const { request, definition, persisted } = creation;
  const templates = definition.stepTemplates;
  const ready = new Set(creation.ready);
  const position = new Map(templates.map((template, index) => [template.name, index]));
  return {
    task: {
      namedTaskId: persisted.namedTaskId,
      requestedAt: request.requestedAt,
      initiator: request.initiator,
      sourceSystem: request.sourceSystem,
      reason: request.reason,
      bypassSteps: request.bypassSteps,
      tags: request.tags,
      context: request.context,
      identityHash: creation.identityHash,
      traceContext: creation.traceContext,
    },
    steps: templates.map((template, index) => ({
      namedStepId: persisted.namedStepIds[index],
      retryable: template.defaultRetryable,
      retryLimit: template.defaultRetryLimit,
      skippable: template.skippable,
      timeoutSeconds: template.timeoutSeconds,
      inProcess: ready.has(template),
    })),
    edges: templates.flatMap((template) =>
      template.dependsOn.map((parent) => ({
        from: position.get(parent) as number,
        to: position.get(template.name) as number,
      })),
    ),
    createdMetadata: createdMetadata(definition),
  };
}

/**
 * Creates tasks: validates the request and its context (nothing is written when either is invalid),
 * then writes the task, its steps, their edges, the initial transitions and the jobs of its root
 * steps in one transaction.
 */
export class TaskInitializer {
  private readonly creations = new CoalescingBatcher<PreparedCreation, CreationResult>(
    (creations) => this.transaction((tx) => this.write(tx, creations)),
    { maxBatchSize: MAX_BATCH, maxConcurrentBatches: MAX_CONCURRENT_BATCHES, retryAloneOnFailure: true },
  );

  constructor(private readonly deps: TaskInitializerDependencies) {}

  /** `traceContext`: the W3C context of the span creating the task, stored so its steps continue that trace. */
  async createTask(input: TaskRequest, traceContext: TraceCarrier | null): Promise<Task> {
    const request = normalizeTaskRequest(input);
    const definition = this.deps.registry.resolve(request.name, {
      namespace: request.namespace,
      version: request.version,
    });
    this.deps.contextValidator.validate(definition, request.context);
    const bypassed = bypassedTemplates(definition, request.bypassSteps);
    const identityHash = computeIdentity(this.deps.identityStrategy, {
      ...request,
      namespace: definition.namespaceName,
      version: definition.version,
    });
    const persisted = await this.deps.definitions.ensure(definition);
    await this.deps.queue.ensureQueue(definition.namespaceName);
    const created = await this.creations.submit({
      request,
      definition,
      bypassed,
      ready: initiallyReady(definition.stepTemplates, bypassed),
      identityHash,
      persisted,
      traceContext,
    });
    if (!created.ok) throw created.error;
    return created.task;
  }

  private transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    return withTransaction(this.deps.pool, work, this.deps.onAfterCommitError);
  }

  /**
   * The tasks, their steps, edges and first transitions (one statement for all), bypassed steps,
   * and the jobs of their root steps (one insert per namespace), in the caller's transaction. A
   * creation whose identity exists already yields a TaskConflictError and writes nothing.
   */
  private async write(tx: Transaction, creations: readonly PreparedCreation[]): Promise<CreationResult[]> {
    const rows = await createTasksRows(tx, creations.map(taskRowsInput));
    const afterCommit = (publish: () => void) => tx.afterCommit(publish);
    const results: CreationResult[] = [];
    const jobs = new Map<string, Array<{ creation: PreparedCreation; taskId: number; stepIds: number[] }>>();
    for (const [index, creation] of creations.entries()) {
      const inserted = rows.get(index);
      if (!inserted) {
        results.push({ ok: false, error: new TaskConflictError(creation.identityHash) });
        continue;
      }
      const { definition, bypassed } = creation;
      const { taskId, stepIds } = inserted;
      const templates = definition.stepTemplates;
      const stepIdByName = new Map(templates.map((template, i) => [template.name, stepIds[i]]));
      this.deps.transitions.announceTask(
        afterCommit,
        {
          taskId,
          name: definition.name,
          namespace: definition.namespaceName,
          version: definition.version,
          fromState: null,
          toState: 'pending',
          at: inserted.transitionedAt,
        },
        createdMetadata(definition),
      );
      await this.deps.transitions.transitionSteps(
        tx,
        bypassed.map((template) => stepIdByName.get(template.name) as number),
        'resolved_manually',
        BYPASS_METADATA,
      );
      const task = buildCreatedTask(
        definition,
        creation.request,
        creation.identityHash,
        inserted,
        stepIds,
        creation.persisted.namedStepIds,
        bypassed,
      );
      if (creation.ready.length === 0) {
        // Every step was bypassed: let the reconciler complete the task.
        const reconciled = await this.deps.reconciler.reconcile(tx, taskId, definition.namespaceName);
        results.push({
          ok: true,
          task: {
            ...task,
            status: reconciled?.status ?? task.status,
            complete: reconciled?.status === 'complete',
          },
        });
        continue;
      }
      const readyIds = creation.ready.map((template) => stepIdByName.get(template.name) as number);
      const namespaceJobs = jobs.get(definition.namespaceName) ?? [];
      namespaceJobs.push({ creation, taskId, stepIds: readyIds });
      jobs.set(definition.namespaceName, namespaceJobs);
      const enqueued = new Set(readyIds);
      results.push({
        ok: true,
        task: {
          ...task,
          steps: task.steps.map((step) => ({ ...step, inProcess: enqueued.has(step.workflowStepId) })),
        },
      });
    }
    for (const [namespace, entries] of jobs) {
      await this.deps.queue.enqueue(
        tx,
        namespace,
        entries.flatMap(({ taskId, stepIds }) => stepIds.map((stepId) => ({ taskId, stepId }))),
      );
      for (const { creation, taskId, stepIds } of entries) {
        this.publishFirstJobs(tx, creation.definition, taskId, stepIds);
      }
    }
    return results;
  }

  private publishFirstJobs(
    tx: Transaction,
    definition: TaskDefinition,
    taskId: number,
    stepIds: readonly number[],
  ): void {
    const namespace = definition.namespaceName;
    publishViableSteps(tx, this.deps.bus, taskId, namespace, stepIds);
    publishAfterCommit(tx, this.deps.bus, 'observability.task.enqueue', {
      task_id: taskId,
      task_name: definition.name,
      namespace,
      version: definition.version,
      queue_name: queueNameFor(namespace),
      step_ids: [...stepIds],
      step_count: stepIds.length,
    });
  }
}

/**
 * A new task's ready steps: those not bypassed whose parents are all bypassed (resolved manually).
 * For fresh steps (no attempts, no backoff, nothing claimed) this is exactly the SQL readiness rule,
 * so creating a task needs no readiness query.
 */
function initiallyReady(
  templates: readonly StepTemplate[],
  bypassed: readonly StepTemplate[],
): StepTemplate[] {
  const skipped = new Set(bypassed.map((template) => template.name));
  return templates.filter(
    (template) => !skipped.has(template.name) && template.dependsOn.every((parent) => skipped.has(parent)),
  );
}

function bypassedTemplates(definition: TaskDefinition, names: readonly string[]): StepTemplate[] {
  const details: ValidationDetail[] = [];
  const templates: StepTemplate[] = [];
  names.forEach((name, index) => {
    const template = definition.stepTemplates.find((t) => t.name === name);
    const path = appendPointer('/bypassSteps', index);
    if (!template) details.push({ path, message: `names no step of this task ('${name}')` });
    else if (!template.skippable) details.push({ path, message: `step '${name}' is not skippable` });
    else templates.push(template);
  });
  if (details.length > 0) {
    throw new InvalidRequestError(
      `Invalid bypassSteps: ${details.map((d) => d.message).join('; ')}`,
      details,
    );
  }
  return templates;
}

function buildCreatedTask(
  definition: TaskDefinition,
  request: NormalizedTaskRequest,
  identityHash: string,
  inserted: { taskId: number; createdAt: Date; updatedAt: Date },
  stepIds: readonly number[],
  namedStepIds: readonly number[],
  bypassed: readonly StepTemplate[],
): Task {
  const templates = definition.stepTemplates;
  const idOf = new Map(templates.map((template, index) => [template.name, stepIds[index]]));
  const nameOf = new Map(templates.map((template, index) => [stepIds[index], template.name]));
  const steps = templates.map((template, index): WorkflowStep => {
    const parentIds = template.dependsOn.map((parent) => idOf.get(parent) as number).sort((a, b) => a - b);
    return {
      workflowStepId: stepIds[index],
      taskId: inserted.taskId,
      name: template.name,
      namedStepId: namedStepIds[index],
      status: bypassed.includes(template) ? 'resolved_manually' : 'pending',
      dependsOn: parentIds.map((id) => nameOf.get(id) as string),
      parentIds,
      childIds: templates
        .filter((child) => child.dependsOn.includes(template.name))
        .map((child) => idOf.get(child.name) as number)
        .sort((a, b) => a - b),
      retryable: template.defaultRetryable,
      retryLimit: template.defaultRetryLimit,
      attempts: 0,
      inProcess: false,
      processed: false,
      processedAt: null,
      lastAttemptedAt: null,
      backoffRequestSeconds: null,
      inputs: request.context,
      results: null,
      skippable: template.skippable,
      timeoutSeconds: template.timeoutSeconds,
      createdAt: inserted.createdAt,
      updatedAt: inserted.createdAt,
    };
  });
  return {
    taskId: inserted.taskId,
    name: definition.name,
    namespace: definition.namespaceName,
    version: definition.version,
    fullName: `${definition.namespaceName}.${definition.name}@${definition.version}`,
    status: 'pending',
    complete: false,
    requestedAt: request.requestedAt,
    initiator: request.initiator,
    sourceSystem: request.sourceSystem,
    reason: request.reason,
    tags: request.tags,
    bypassSteps: request.bypassSteps,
    context: request.context,
    identityHash,
    createdAt: inserted.createdAt,
    updatedAt: inserted.updatedAt,
    steps,
  };
}
