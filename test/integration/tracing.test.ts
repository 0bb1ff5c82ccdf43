import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { PermanentError } from '../../src/handlers/step-errors';
import type { StepHandlerMap } from '../../src/handlers/step-handler';
import type { Task } from '../../src/interfaces';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

/** The span id active inside each handler run, by `<task id>/<step>/<attempt>`. */
const activeSpanInHandler = new Map<string, string | undefined>();

const handlers: StepHandlerMap = {
  Work: (ctx) => {
    activeSpanInHandler.set(
      `${ctx.task.taskId}/${ctx.step.name}/${ctx.step.attempts}`,
      trace.getActiveSpan()?.spanContext().spanId,
    );
    return { ok: true };
  },
  FailOnce: (ctx) => {
    if (ctx.step.attempts === 1) throw new TypeError('first attempt fails');
    return { ok: true };
  },
  Refuse: () => {
    throw new PermanentError('never');
  },
};

const tasks = [
  defineTask({
    name: 'traced',
    namespaceName: 'tracing',
    version: '1.2.0',
    stepTemplates: [
      { name: 'first', handlerClass: 'Work' },
      { name: 'left', handlerClass: 'Work', dependsOnStep: 'first' },
      { name: 'right', handlerClass: 'Work', dependsOnStep: 'first' },
    ],
  }),
  defineTask({
    name: 'flaky',
    namespaceName: 'tracing',
    stepTemplates: [{ name: 'wobble', handlerClass: 'FailOnce', defaultRetryLimit: 3 }],
  }),
  defineTask({
    name: 'doomed',
    namespaceName: 'tracing',
    stepTemplates: [{ name: 'refuse', handlerClass: 'Refuse' }],
  }),
];

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
const traceOf = (span: ReadableSpan) => span.spanContext().traceId;

describe('tracing', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(async () => {
    context.setGlobalContextManager(contextManager.enable());
    db = await createTestDatabase();
    engine = testEngine(db, {
      tasks,
      stepHandlers: handlers,
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
      tracing: { tracerProvider: provider },
    });
    await engine.ready();
  });
  afterEach(() => exporter.reset());
  afterAll(async () => {
    await engine.close();
    await db.drop();
    await provider.shutdown();
    context.disable();
  });

  function spansOf(task: Task, name: string): ReadableSpan[] {
    return exporter
      .getFinishedSpans()
      .filter((span) => span.name === name && span.attributes['tasker.task_id'] === task.taskId);
  }

  /** The task-level span is written after the terminal transition, once the task's trace is read. */
  async function taskExecutionSpan(task: Task): Promise<ReadableSpan> {
    await expect.poll(() => spansOf(task, 'tasker.task.execution'), { timeout: 5_000 }).toHaveLength(1);
    return spansOf(task, 'tasker.task.execution')[0];
  }

  it('continues the trace of the span that created the task in every step attempt', async () => {
    const request = provider.getTracer('test').startSpan('POST /tasks');
    const created = await context.with(trace.setSpan(context.active(), request), () =>
      engine.createTask({ name: 'traced', namespace: 'tracing', context: {} }),
    );
    request.end();
    const task = await engine.runUntilSettled(created.taskId);
    expect(task.status).toBe('complete');

    const [initialize] = spansOf(task, 'tasker.task.initialize');
    expect(parentOf(initialize)).toBe(request.spanContext().spanId);
    expect(traceOf(initialize)).toBe(request.spanContext().traceId);
    const steps = spansOf(task, 'tasker.step.execution');
    expect(steps.map((span) => span.attributes['tasker.step_name']).sort()).toEqual([
      'first',
      'left',
      'right',
    ]);
    for (const span of steps) {
      expect(traceOf(span)).toBe(traceOf(initialize));
      expect(parentOf(span)).toBe(idOf(initialize));
      expect(span.status.code).toBe(SpanStatusCode.OK);
      const step = task.steps.find((s) => s.name === span.attributes['tasker.step_name']);
      expect(span.attributes).toMatchObject({
        'tasker.task_id': task.taskId,
        'tasker.step_id': step?.workflowStepId,
        'tasker.task_name': 'traced',
        'tasker.namespace': 'tracing',
        'tasker.version': '1.2.0',
        'tasker.attempt_number': 1,
      });
      expect(activeSpanInHandler.get(`${task.taskId}/${step?.name}/1`)).toBe(idOf(span));
    }

    const execution = await taskExecutionSpan(task);
    expect(traceOf(execution)).toBe(traceOf(initialize));
    expect(parentOf(execution)).toBe(idOf(initialize));
    expect(execution.status.code).toBe(SpanStatusCode.OK);
  });

  it('starts a trace of its own for a task created outside any span', async () => {
    const created = await engine.createTask({ name: 'traced', namespace: 'tracing', context: {} });
    const task = await engine.runUntilSettled(created.taskId);
    const [initialize] = spansOf(task, 'tasker.task.initialize');
    expect(parentOf(initialize)).toBeUndefined();
    const { rows } = await db.pool.query('SELECT trace_context FROM tasker_tasks WHERE task_id = $1', [
      task.taskId,
    ]);
    expect(rows[0].trace_context).toEqual({
      traceparent: `00-${traceOf(initialize)}-${idOf(initialize)}-01`,
    });
    for (const span of spansOf(task, 'tasker.step.execution')) expect(parentOf(span)).toBe(idOf(initialize));
  });

  it('marks a failed attempt ERROR with its message and class, and its retry OK in the same trace', async () => {
    const created = await engine.createTask({ name: 'flaky', namespace: 'tracing', context: {} });
    const task = await engine.runUntilSettled(created.taskId);
    expect(task.status).toBe('complete');
    const [initialize] = spansOf(task, 'tasker.task.initialize');
    const attempts = spansOf(task, 'tasker.step.execution').sort(
      (a, b) => Number(a.attributes['tasker.attempt_number']) - Number(b.attributes['tasker.attempt_number']),
    );
    expect(attempts.map((span) => [span.attributes['tasker.attempt_number'], span.status.code])).toEqual([
      [1, SpanStatusCode.ERROR],
      [2, SpanStatusCode.OK],
    ]);
    expect(attempts[0].attributes).toMatchObject({
      'tasker.error': 'first attempt fails',
      'tasker.exception_class': 'TypeError',
    });
    expect(attempts[0].status.message).toBe('first attempt fails');
    for (const span of attempts) expect(parentOf(span)).toBe(idOf(initialize));
  });

  it('closes a failed task with an ERROR task span', async () => {
    const created = await engine.createTask({ name: 'doomed', namespace: 'tracing', context: {} });
    const task = await engine.runUntilSettled(created.taskId);
    expect(task.status).toBe('error');
    expect((await taskExecutionSpan(task)).status.code).toBe(SpanStatusCode.ERROR);
  });
});

describe('tracing without an OpenTelemetry SDK', () => {
  it('runs tasks and stores no trace context', async () => {
    const db = await createTestDatabase();
    const engine = testEngine(db, { tasks, stepHandlers: handlers, worker: FAST_WORKER });
    try {
      const created = await engine.createTask({ name: 'traced', namespace: 'tracing', context: {} });
      expect((await engine.runUntilSettled(created.taskId)).status).toBe('complete');
      const { rows } = await db.pool.query('SELECT trace_context FROM tasker_tasks WHERE task_id = $1', [
        created.taskId,
      ]);
      expect(rows[0].trace_context).toBeNull();
    } finally {
      await engine.close();
      await db.drop();
    }
  });
});
