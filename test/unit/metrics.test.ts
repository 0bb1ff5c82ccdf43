import { Registry } from 'prom-client';
import { describe, expect, it, vi } from 'vitest';
import { createEngine } from '../../src/engine';
import { ConfigurationError } from '../../src/errors';
import { EventBus } from '../../src/events/event-bus';
import { STEP_SECONDS_BUCKETS, TaskerMetrics } from '../../src/observability/metrics';
import type { StepAttempt } from '../../src/orchestration/attempt-observer';

type Labels = Record<string, string>;

/** The value of one series (a counter, gauge, or a histogram's `_count`/`_sum`), 0 when absent. */
async function valueOf(registry: Registry, metricName: string, labels: Labels = {}): Promise<number> {
  const family = metricName.replace(/_(count|sum|bucket)$/, '');
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === family);
  const series = (metric?.values ?? []).find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? family) === metricName &&
      Object.keys(labels).length === Object.keys(v.labels).filter((k) => k !== 'le').length &&
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return series?.value ?? 0;
}

function taskEvent(bus: EventBus, name: string, taskId: number, toState: string, taskName = 'checkout') {
  bus.publish(name, {
    task_id: taskId,
    task_name: taskName,
    namespace: 'shop',
    version: '1.0.0',
    from_state: 'in_progress',
    to_state: toState,
  });
}

function attempt(overrides: Partial<StepAttempt> = {}): StepAttempt {
  return {
    taskId: 41,
    stepId: 97,
    namespace: 'shop',
    taskName: 'checkout',
    version: '1.0.0',
    stepName: 'charge',
    attempt: 1,
    dueAt: null,
    claimedAt: new Date('2025-01-01T00:00:10.000Z'),
    traceContext: null,
    ...overrides,
  };
}

function instrumented(options: ConstructorParameters<typeof TaskerMetrics>[0] = {}) {
  const registry = options.registry ?? new Registry();
  const metrics = new TaskerMetrics({ ...options, registry });
  const bus = new EventBus();
  metrics.listen({ subscribe: (pattern, fn) => bus.subscribe(pattern, fn) });
  return { registry, metrics, bus };
}

describe('TaskerMetrics', () => {
  it('counts only transitions into complete, error and cancelled, by definition and status', async () => {
    const { registry, bus } = instrumented();
    taskEvent(bus, 'task.initialize_requested', 1, 'pending');
    taskEvent(bus, 'task.start_requested', 1, 'in_progress');
    taskEvent(bus, 'task.completed', 1, 'complete');
    taskEvent(bus, 'task.completed', 2, 'complete');
    taskEvent(bus, 'task.failed', 3, 'error');
    taskEvent(bus, 'task.retry_requested', 3, 'pending');
    taskEvent(bus, 'task.resolved_manually', 3, 'resolved_manually');
    taskEvent(bus, 'task.cancelled', 4, 'cancelled', 'refund');

    const task = { namespace: 'shop', name: 'checkout', version: '1.0.0' };
    expect(await valueOf(registry, 'tasker_tasks_total', { ...task, status: 'complete' })).toBe(2);
    expect(await valueOf(registry, 'tasker_tasks_total', { ...task, status: 'error' })).toBe(1);
    expect(
      await valueOf(registry, 'tasker_tasks_total', { ...task, name: 'refund', status: 'cancelled' }),
    ).toBe(1);
    const series = (await registry.getMetricsAsJSON()).find((m) => m.name === 'tasker_tasks_total')?.values;
    expect(series).toHaveLength(3);
  });

  it('counts step retries from step.retry_requested by namespace, task and step', async () => {
    const { registry, bus } = instrumented();
    const retry = { task_id: 1, step_id: 2, namespace: 'shop', task_name: 'checkout', step_name: 'charge' };
    bus.publish('step.retry_requested', retry);
    bus.publish('step.retry_requested', { ...retry, task_id: 5, step_id: 9 });
    bus.publish('step.failed', retry);
    expect(
      await valueOf(registry, 'tasker_step_retries_total', {
        namespace: 'shop',
        task: 'checkout',
        step: 'charge',
      }),
    ).toBe(2);
  });

  it('counts attempts and observes their durations by outcome, tracking the ones in flight', async () => {
    const { registry, metrics } = instrumented();
    const observer = metrics.attemptObserver;
    const first = attempt();
    const second = attempt({ stepId: 98, attempt: 2 });
    observer.started?.(first);
    observer.started?.(second);
    expect(await valueOf(registry, 'tasker_steps_in_flight', { namespace: 'shop' })).toBe(2);

    observer.finished?.(first, {
      outcome: 'failure',
      durationSeconds: 0.2,
      errorClass: 'Error',
      errorMessage: 'no',
    });
    observer.finished?.(second, {
      outcome: 'success',
      durationSeconds: 1.5,
      errorClass: null,
      errorMessage: null,
    });
    expect(await valueOf(registry, 'tasker_steps_in_flight', { namespace: 'shop' })).toBe(0);

    const step = { namespace: 'shop', task: 'checkout', step: 'charge' };
    expect(await valueOf(registry, 'tasker_step_attempts_total', { ...step, outcome: 'success' })).toBe(1);
    expect(await valueOf(registry, 'tasker_step_attempts_total', { ...step, outcome: 'failure' })).toBe(1);
    expect(
      await valueOf(registry, 'tasker_step_duration_seconds_count', { ...step, outcome: 'success' }),
    ).toBe(1);
    expect(await valueOf(registry, 'tasker_step_duration_seconds_sum', { ...step, outcome: 'success' })).toBe(
      1.5,
    );
    expect(await valueOf(registry, 'tasker_step_duration_seconds_sum', { ...step, outcome: 'failure' })).toBe(
      0.2,
    );
    const text = await registry.getSingleMetricAsString('tasker_step_duration_seconds');
    expect(text).toContain(
      'tasker_step_duration_seconds_bucket{le="0.25",namespace="shop",task="checkout",step="charge",outcome="failure"} 1',
    );
    expect(text).toContain(
      'tasker_step_duration_seconds_bucket{le="1",namespace="shop",task="checkout",step="charge",outcome="success"} 0',
    );
  });

  it('observes queue wait as claim time minus due time, only when the due time is known', async () => {
    const { registry, metrics } = instrumented();
    const claimedAt = new Date('2025-01-01T00:00:10.000Z');
    metrics.attemptObserver.started?.(attempt({ claimedAt, dueAt: new Date('2025-01-01T00:00:07.500Z') }));
    metrics.attemptObserver.started?.(attempt({ claimedAt, dueAt: null }));
    const wait = { namespace: 'shop', task: 'checkout' };
    expect(await valueOf(registry, 'tasker_step_queue_wait_seconds_count', wait)).toBe(1);
    expect(await valueOf(registry, 'tasker_step_queue_wait_seconds_sum', wait)).toBe(2.5);
  });

  it('uses buckets from 5 ms to 5 minutes', () => {
    expect(STEP_SECONDS_BUCKETS[0]).toBe(0.005);
    expect(STEP_SECONDS_BUCKETS.at(-1)).toBe(300);
  });

  it('reads the queue depth at scrape time, and keeps the last values when reading fails', async () => {
    const depths = new Map([
      ['shop', 3],
      ['feeds', 0],
    ]);
    const onCollectError = vi.fn();
    const queueDepth = vi.fn(async () => depths);
    const { registry } = instrumented({ queueDepth, onCollectError });
    expect(queueDepth).not.toHaveBeenCalled();
    expect(await valueOf(registry, 'tasker_queue_depth', { namespace: 'shop' })).toBe(3);
    expect(await valueOf(registry, 'tasker_queue_depth', { namespace: 'feeds' })).toBe(0);

    depths.set('shop', 1);
    expect(await valueOf(registry, 'tasker_queue_depth', { namespace: 'shop' })).toBe(1);

    queueDepth.mockRejectedValueOnce(new Error('database is down'));
    expect(await valueOf(registry, 'tasker_queue_depth', { namespace: 'shop' })).toBe(1);
    expect(onCollectError).toHaveBeenCalledWith(expect.objectContaining({ message: 'database is down' }));
  });

  it('labels series with definition names and outcomes only, never ids', async () => {
    const { registry, metrics, bus } = instrumented({ queueDepth: async () => new Map([['shop', 1]]) });
    taskEvent(bus, 'task.completed', 12345, 'complete');
    bus.publish('step.retry_requested', {
      task_id: 12345,
      step_id: 678,
      namespace: 'shop',
      task_name: 'checkout',
      step_name: 'charge',
    });
    const observed = attempt({ dueAt: new Date('2025-01-01T00:00:09.000Z') });
    metrics.attemptObserver.started?.(observed);
    metrics.attemptObserver.finished?.(observed, {
      outcome: 'success',
      durationSeconds: 0.1,
      errorClass: null,
      errorMessage: null,
    });
    const text = await registry.metrics();
    expect(text).not.toMatch(/12345|678|"41"|"97"/);
    const labelNames = new Set(
      (await registry.getMetricsAsJSON()).flatMap((m) => m.values.flatMap((v) => Object.keys(v.labels))),
    );
    expect([...labelNames].sort()).toEqual([
      'le',
      'name',
      'namespace',
      'outcome',
      'status',
      'step',
      'task',
      'version',
    ]);
  });

  it('adds prom-client default metrics to a registry of its own, never to a given one', async () => {
    const own = new TaskerMetrics();
    expect(own.registry.getSingleMetric('process_cpu_user_seconds_total')).toBeDefined();
    const given = new Registry();
    new TaskerMetrics({ registry: given });
    expect(given.getSingleMetric('process_cpu_user_seconds_total')).toBeUndefined();
    expect(given.getSingleMetric('tasker_tasks_total')).toBeDefined();
  });

  it('keeps two instances on separate registries apart', async () => {
    const a = instrumented();
    const b = instrumented();
    taskEvent(a.bus, 'task.completed', 1, 'complete');
    const labels = { namespace: 'shop', name: 'checkout', version: '1.0.0', status: 'complete' };
    expect(await valueOf(a.registry, 'tasker_tasks_total', labels)).toBe(1);
    expect(await valueOf(b.registry, 'tasker_tasks_total', labels)).toBe(0);
  });

  it('shares the series when two instances are given the same registry', async () => {
    const registry = new Registry();
    const a = instrumented({ registry });
    const b = instrumented({ registry });
    taskEvent(a.bus, 'task.completed', 1, 'complete');
    taskEvent(b.bus, 'task.completed', 2, 'complete');
    const labels = { namespace: 'shop', name: 'checkout', version: '1.0.0', status: 'complete' };
    expect(await valueOf(registry, 'tasker_tasks_total', labels)).toBe(2);
  });

  it('refuses a metrics option that is neither { registry } nor false', () => {
    expect(() => createEngine({ metrics: 'on' as never })).toThrow(ConfigurationError);
    expect(() => createEngine({ metrics: { registry: {} as Registry } })).toThrow(/`metrics` must be/);
    expect(createEngine({ metrics: false }).metrics).toBeUndefined();
  });
});
