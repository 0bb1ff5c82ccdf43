import type { EventPayload } from './catalog';

export interface TaskerEvent<P = Record<string, unknown>> {
  name: string;
  payload: P;
  timestamp: Date;
}

export type EventListener = (event: TaskerEvent) => void;

export type ListenerErrorHandler = (error: unknown, event: TaskerEvent) => void;

/** `name` matches exactly, `prefix.*` matches every event under that prefix, `*` matches all. */
export function eventPatternMatches(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === name) return true;
  return pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1));
}

/**
 * In-process publish/subscribe. Listeners are collateral concerns: one that throws is reported to
 * `onListenerError` and never affects the publisher or the other listeners.
 */
export class EventBus {
  private readonly subscriptions = new Set<{ pattern: string; listener: EventListener }>();

  constructor(private readonly onListenerError: ListenerErrorHandler = () => undefined) {}

  /** A system event's exact name types the payload; see `EventPayload`. */
  subscribe<Pattern extends string>(
    pattern: Pattern,
    listener: (event: TaskerEvent<EventPayload<Pattern>>) => void,
  ): () => void {
    const subscription = { pattern, listener: listener as EventListener };
    this.subscriptions.add(subscription);
    return () => {
      this.subscriptions.delete(subscription);
    };
  }

  publish(name: string, payload: object): void {
    const event: TaskerEvent = { name, payload: { ...payload }, timestamp: new Date() };
    for (const { pattern, listener } of [...this.subscriptions]) {
      if (!eventPatternMatches(pattern, name)) continue;
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error, event);
      }
    }
  }
}
