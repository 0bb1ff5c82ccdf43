import { describe, expect, it, vi } from 'vitest';
import { EventBus, eventPatternMatches } from '../../src/events/event-bus';

describe('event bus', () => {
  it('matches exact names, prefixes and the wildcard', () => {
    expect(eventPatternMatches('task.completed', 'task.completed')).toBe(true);
    expect(eventPatternMatches('task.completed', 'task.failed')).toBe(false);
    expect(eventPatternMatches('step.*', 'step.failed')).toBe(true);
    expect(eventPatternMatches('step.*', 'steps.failed')).toBe(false);
    expect(eventPatternMatches('*', 'anything.at_all')).toBe(true);
  });

  it('delivers to matching subscribers until they unsubscribe', () => {
    const bus = new EventBus();
    const seen: string[] = [];
    const unsubscribe = bus.subscribe('task.*', (event) => seen.push(event.name));
    bus.publish('task.completed', {});
    bus.publish('step.completed', {});
    unsubscribe();
    bus.publish('task.failed', {});
    expect(seen).toEqual(['task.completed']);
  });

  it('keeps delivering when a subscriber throws, and reports the failure', () => {
    const onError = vi.fn();
    const bus = new EventBus(onError);
    const seen: string[] = [];
    bus.subscribe('*', () => {
      throw new Error('subscriber bug');
    });
    bus.subscribe('*', (event) => seen.push(event.name));
    expect(() => bus.publish('task.completed', { task_id: 1 })).not.toThrow();
    expect(seen).toEqual(['task.completed']);
    expect(onError).toHaveBeenCalledWith(
      expect.objectContaining({ message: 'subscriber bug' }),
      expect.objectContaining({ name: 'task.completed' }),
    );
  });
});
