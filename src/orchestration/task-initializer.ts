import type pg from 'pg';
import { createTaskRows } from '../db/queries/tasks';
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
import type { TaskReconciler } from './task-reconciler';
import type { ContextValidator } from './context-validator';
import type { DefinitionStore } from './definition-store';
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

/**
 * Creates tasks: validates the request and its context (nothing is written when either is invalid),
 * then writes the task, its steps, their edges, the initial transitions and the jobs of its root
 * steps in one transaction.
 */
export class TaskInitializer {
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

    return withTransaction(
      this.deps.pool,
      async (tx) => {
        const templates = definition.stepTemplates;
        const ready = new Set(initiallyReady(templates, bypassed));
        const position = new Map(templates.map((template, index) => [template.name, index]));
        const createdMetadata = { step_count: templates.length };
        const inserted = await createTaskRows(
          tx,
          {
            namedTaskId: persisted.namedTaskId,
            requestedAt: request.requestedAt,
            initiator: request.initiator,
            sourceSystem: request.sourceSystem,
            reason: request.reason,
            bypassSteps: request.bypassSteps,
            tags: request.tags,
            context: request.context,
            identityHash,
            traceContext,
          },
          templates.map((template, index) => ({
            namedStepId: persisted.namedStepIds[index],
            retryable: template.defaultRetryable,
            retryLimit: template.defaultRetryLimit,
            skippable: template.skippable,
            timeoutSeconds: template.timeoutSeconds,
            inProcess: ready.has(template),
          })),
          templates.flatMap((template) =>
            template.dependsOn.map((parent) => ({
              from: position.get(parent) as number,
              to: position.get(template.name) as number,
            })),
          ),
          createdMetadata,
        );
        if (!inserted) throw new TaskConflictError(identityHash);
        const { taskId, stepIds } = inserted;
        const stepIdByName = new Map(templates.map((template, index) => [template.name, stepIds[index]]));
        this.deps.transitions.announceTask(
          (publish) => tx.afterCommit(publish),
          {
            taskId,
            name: definition.name,
            namespace: definition.namespaceName,
            version: definition.version,
            fromState: null,
            toState: 'pending',
            at: inserted.transitionedAt,
          },
          createdMetadata,
        );
        await this.deps.transitions.transitionSteps(
          tx,
          bypassed.map((template) => stepIdByName.get(template.name) as number),
          'resolved_manually',
          BYPASS_METADATA,
        );
        const created = buildCreatedTask(
          definition,
          request,
          identityHash,
          inserted,
          stepIds,
          persisted.namedStepIds,
          bypassed,
        );
        if (ready.size === 0) {
          // Every step was bypassed: let the reconciler complete the task.
          const reconciled = await this.deps.reconciler.reconcile(tx, taskId, definition.namespaceName);
          return {
            ...created,
            status: reconciled?.status ?? created.status,
            complete: reconciled?.status === 'complete',
          };
        }
        const readyIds = templates.flatMap((template, index) =>
          ready.has(template) ? [stepIds[index]] : [],
        );
        await this.deps.queue.enqueue(
          tx,
          definition.namespaceName,
          readyIds.map((stepId) => ({ taskId, stepId })),
        );
        this.publishFirstJobs(tx, definition, taskId, readyIds);
        const enqueued = new Set(readyIds);
        return {
          ...created,
          steps: created.steps.map((step) => ({
            ...step,
            inProcess: enqueued.has(step.workflowStepId),
          })),
        };
      },
      this.deps.onAfterCommitError,
    );
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
