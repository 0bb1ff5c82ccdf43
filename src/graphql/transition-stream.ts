import { GraphQLError } from 'graphql';
import type { TaskerEngine } from '../engine';
import type { TransitionEvent } from '../events/transition-event';

/** How far a subscriber may fall behind before its subscription is dropped. */
export const MAX_BUFFERED_TRANSITIONS = 10_000;

/** Taken events are cut from the front of the buffer in chunks this large (not one by one). */
const COMPACT_EVERY = 1_024;

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

export interface TransitionStreamOptions {
  /** Which transitions this subscriber receives. */
  accept(event: TransitionEvent): boolean;
  /** Events held for a slow reader before the stream fails; default 10 000. */
  maxBuffered?: number;
}

interface Waiter {
  resolve(result: IteratorResult<TransitionEvent, undefined>): void;
}

/**
 * An async iterator over `engine.onTransition`: events are queued in delivery (commit) order until
 * the reader takes them. A reader that falls more than `maxBuffered` events behind loses its
 * subscription with an error (`SUBSCRIBER_TOO_SLOW`) instead of growing memory without bound.
 * `return()` (a client completing, a socket closing) unsubscribes from the engine.
 */
export class TransitionStream implements AsyncIterableIterator<TransitionEvent, undefined> {
  private buffer: TransitionEvent[] = [];
  private head = 0;
  private readonly waiters: Waiter[] = [];
  private failure: GraphQLError | undefined;
  private finished = false;
  private unsubscribe: (() => void) | undefined;

  private constructor(
    private readonly accept: (event: TransitionEvent) => boolean,
    private readonly maxBuffered = MAX_BUFFERED_TRANSITIONS,
  ) {}

  /** Subscribes to the engine's transitions; resolves once events are being collected. */
  static async open(
    engine: Pick<TaskerEngine, 'onTransition'>,
    { accept, maxBuffered }: TransitionStreamOptions,
  ): Promise<TransitionStream> {
    const stream = new TransitionStream(accept, maxBuffered);
    stream.attach(
      await engine.onTransition(
        (event) => stream.push(event),
        () =>
          stream.fail(
            new GraphQLError(
              'Events may have been missed while the server reconnected to the database; subscribe again',
              { extensions: { code: 'EVENTS_MISSED' } },
            ),
          ),
      ),
    );
    return stream;
  }

  /** Hands over the engine subscription to end on `return()` (at once if already ended). */
  private attach(unsubscribe: () => void): void {
    if (this.finished) unsubscribe();
    else this.unsubscribe = unsubscribe;
  }

  private push(event: TransitionEvent): void {
    if (this.finished || !this.accept(event)) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve({ value: event, done: false });
    else if (this.buffered() >= this.maxBuffered) {
      this.fail(
        new GraphQLError(
          `The subscription fell more than ${this.maxBuffered} events behind and was dropped; subscribe again`,
          { extensions: { code: 'SUBSCRIBER_TOO_SLOW' } },
        ),
      );
    } else this.buffer.push(event);
  }

  next(): Promise<IteratorResult<TransitionEvent, undefined>> {
    if (this.buffered() > 0) return Promise.resolve({ value: this.take(), done: false });
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiters.push({ resolve }));
  }

  return(): Promise<IteratorResult<TransitionEvent, undefined>> {
    this.failure = undefined;
    this.finish();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Events received and not yet taken. */
  buffered(): number {
    return this.buffer.length - this.head;
  }

  private take(): TransitionEvent {
    const event = this.buffer[this.head];
    this.head += 1;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head >= COMPACT_EVERY) {
      this.buffer.splice(0, this.head);
      this.head = 0;
    }
    return event;
  }

  /** Ends the stream: queued events are dropped and the reader gets `error` next. */
  private fail(error: GraphQLError): void {
    if (this.finished) return;
    this.failure = error;
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.buffer = [];
    this.head = 0;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(DONE);
  }
}
