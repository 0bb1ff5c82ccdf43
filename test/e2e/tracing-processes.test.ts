import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { defineTask } from '../../src/registry/define-task';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { testEngine } from '../support/engine';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

const config = path.resolve(__dirname, '../fixtures/workers/tracing-config.cjs');

/** A span as the fixture config writes it, one JSON line per span. */
interface ExportedSpan {
  pid: number;
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  status: SpanStatusCode;
  attributes: Record<string, unknown>;
}

/**
 * The producer only creates tasks (its definition sets the steps' retry limits); step `a` is
 * completed by worker A and step `b` by worker B, each refusing the other's step.
 */
const relay = defineTask({
  name: 'relay',
  namespaceName: 'tracing',
  stepTemplates: [
    { name: 'a', handlerClass: 'Owned', defaultRetryLimit: 30 },
    { name: 'b', handlerClass: 'Owned', defaultRetryLimit: 30, dependsOnStep: 'a' },
  ],
});

describe('a trace across worker processes', () => {
  let db: TestDatabase;
  let producer: TaskerEngine;
  let directory: string;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const workers: WorkerProcess[] = [];
  const spansFile = (worker: string) => path.join(directory, `${worker}.jsonl`);

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tasker-tracing-'));
    db = await createTestDatabase();
    producer = testEngine(db, {
      tasks: [relay],
      stepHandlers: { Owned: () => ({}) },
      tracing: { tracerProvider: provider },
    });
    await producer.ready();
    for (const worker of ['A', 'B']) {
      workers.push(
        await startWorkerProcess(
          db.url,
          { TRACING_WORKER: worker, TRACING_SPANS_FILE: spansFile(worker) },
          config,
        ),
      );
    }
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await producer.close();
    await db.drop();
    await provider.shutdown();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  function exported(worker: string): ExportedSpan[] {
    if (!fs.existsSync(spansFile(worker))) return [];
    return fs
      .readFileSync(spansFile(worker), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as ExportedSpan);
  }

  it('continues the creating process trace in the steps each worker runs', async () => {
    const created = await producer.createTask({ name: 'relay', namespace: 'tracing', context: {} });
    const task = await producer.runUntilSettled(created.taskId, { timeoutMs: 30_000 });
    expect(task.status).toBe('complete');
    const initialize = exporter.getFinishedSpans().find((span) => span.name === 'tasker.task.initialize');
    const traceId = initialize?.spanContext().traceId;
    const initializeId = initialize?.spanContext().spanId;

    const completedBy = (worker: string) =>
      exported(worker).filter(
        (span) => span.name === 'tasker.step.execution' && span.status === SpanStatusCode.OK,
      );
    expect(completedBy('A').map((span) => span.attributes['tasker.step_name'])).toEqual(['a']);
    expect(completedBy('B').map((span) => span.attributes['tasker.step_name'])).toEqual(['b']);
    const [pidA, pidB] = workers.map((worker) => worker.child.pid);
    expect(completedBy('A')[0].pid).toBe(pidA);
    expect(completedBy('B')[0].pid).toBe(pidB);

    // Every attempt, including those refused by the wrong worker, hangs off the creation span.
    const attempts = [...exported('A'), ...exported('B')].filter(
      (span) => span.name === 'tasker.step.execution',
    );
    for (const span of attempts) {
      expect(span.traceId).toBe(traceId);
      expect(span.parentSpanId).toBe(initializeId);
      expect(span.attributes['tasker.task_id']).toBe(task.taskId);
    }

    // Step b completes the task in worker B, which records the task-level span there.
    await expect
      .poll(() => exported('B').filter((span) => span.name === 'tasker.task.execution'), { timeout: 5_000 })
      .toMatchObject([{ traceId, parentSpanId: initializeId, status: SpanStatusCode.OK }]);
  });
});
