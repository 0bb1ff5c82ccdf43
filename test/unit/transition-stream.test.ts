import { describe, expect, it } from 'vitest';
import type { TransitionEvent, TransitionListener } from '../../src/events/transition-event';
import { MAX_BUFFERED_TRANSITIONS, TransitionStream } from '../../src/graphql/transition-stream';

/** Stands in for `engine.onTransition`: tests emit events and see who is still listening. */
function fakeEngine() {
  const listeners = new Set<TransitionListener>();
  return {
    listeners,
    async onTransition(listener: TransitionListener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    emit(event: TransitionEvent) {
      for (const listener of listeners) listener(event);
    },
  };
}

function transition(taskId: number, toState: string, stepId: number | null = null): TransitionEvent {
  return {
    event: stepId === null ? 'task.start_requested' : 'step.execution_requested',
    taskId,
    namespace: 'ns',
    stepId,
    stepName: stepId === null ? null : `s${stepId}`,
    fromState: 'pending',
    toState,
    occurredAt: new Date(0).toISOString(),
  };
}

async function take(stream: TransitionStream, count: number): Promise<TransitionEvent[]> {
  const events: TransitionEvent[] = [];
  for (let i = 0; i < count; i += 1) {
    const result = await stream.next();
    if (result.done) break;
    events.push(result.value);
  }
  return events;
}

describe('TransitionStream', () => {
  it('yields the accepted events in delivery order, buffered or awaited', async () => {
    const engine = fakeEngine();
    const stream = await TransitionStream.open(engine, { accept: (event) => event.taskId === 1 });
    engine.emit(transition(1, 'a'));
    engine.emit(transition(2, 'ignored'));
    engine.emit(transition(1, 'b'));
    const waiting = stream.next();
    expect((await waiting).value).toMatchObject({ toState: 'a' });
    const later = stream.next();
    engine.emit(transition(1, 'c', 7));
    expect((await later).value).toMatchObject({ toState: 'b' });
    expect((await take(stream, 1)).map((e) => e.toState)).toEqual(['c']);
  });

  it('serves several pending next() calls in order', async () => {
    const engine = fakeEngine();
    const stream = await TransitionStream.open(engine, { accept: () => true });
    const first = stream.next();
    const second = stream.next();
    engine.emit(transition(1, 'a'));
    engine.emit(transition(1, 'b'));
    expect([(await first).value?.toState, (await second).value?.toState]).toEqual(['a', 'b']);
  });

  it('unsubscribes from the engine on return() and ends pending and later reads', async () => {
    const engine = fakeEngine();
    const stream = await TransitionStream.open(engine, { accept: () => true });
    expect(engine.listeners.size).toBe(1);
    const pending = stream.next();
    await stream.return();
    expect(engine.listeners.size).toBe(0);
    expect(await pending).toEqual({ value: undefined, done: true });
    engine.emit(transition(1, 'a'));
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('works with for await, which calls return() when the loop is left', async () => {
    const engine = fakeEngine();
    const stream = await TransitionStream.open(engine, { accept: () => true });
    engine.emit(transition(1, 'a'));
    engine.emit(transition(1, 'b'));
    const seen: string[] = [];
    for await (const event of stream) {
      seen.push(event.toState);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['a', 'b']);
    expect(engine.listeners.size).toBe(0);
  });

  it('drops a reader that falls more than the limit behind, with SUBSCRIBER_TOO_SLOW', async () => {
    const engine = fakeEngine();
    const stream = await TransitionStream.open(engine, { accept: () => true, maxBuffered: 3 });
    for (const state of ['a', 'b', 'c']) engine.emit(transition(1, state));
    expect(stream.buffered()).toBe(3);
    expect(engine.listeners.size).toBe(1);
    engine.emit(transition(1, 'd'));
    expect(engine.listeners.size).toBe(0);
    expect(stream.buffered()).toBe(0);
    await expect(stream.next()).rejects.toMatchObject({
      extensions: { code: 'SUBSCRIBER_TOO_SLOW' },
      message: expect.stringContaining('more than 3 events behind'),
    });
    expect(await stream.next()).toEqual({ value: undefined, done: true });
  });

  it('holds 10 000 events by default and keeps their order across buffer compaction', async () => {
    const engine = fakeEngine();
    const stream = await TransitionStream.open(engine, { accept: () => true });
    expect(MAX_BUFFERED_TRANSITIONS).toBe(10_000);
    for (let i = 0; i < 10_000; i += 1) engine.emit(transition(i + 1, 'x'));
    const firstHalf = await take(stream, 5_000);
    for (let i = 10_000; i < 15_000; i += 1) engine.emit(transition(i + 1, 'x'));
    const rest = await take(stream, 10_000);
    expect([...firstHalf, ...rest].map((event) => event.taskId)).toEqual(
      Array.from({ length: 15_000 }, (_, i) => i + 1),
    );
    for (let i = 0; i < 10_001; i += 1) engine.emit(transition(1, 'x'));
    await expect(stream.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } });
  });

  it('unsubscribes at once when dropped before the engine subscription was handed over', async () => {
    const engine = fakeEngine();
    const flooding = {
      async onTransition(listener: TransitionListener) {
        const unsubscribe = await engine.onTransition(listener);
        for (const state of ['a', 'b', 'c']) engine.emit(transition(1, state));
        return unsubscribe;
      },
    };
    const stream = await TransitionStream.open(flooding, { accept: () => true, maxBuffered: 2 });
    expect(engine.listeners.size).toBe(0);
    await expect(stream.next()).rejects.toMatchObject({ extensions: { code: 'SUBSCRIBER_TOO_SLOW' } });
  });
});
