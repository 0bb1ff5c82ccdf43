import pg from 'pg';
import type { TransitionEvent } from '../events/transition-event';
import type { Logger } from '../interfaces';
import type { CancelTarget } from './running-steps';

const WAKE_CHANNEL = 'tasker_wakeup';
const CANCEL_CHANNEL = 'tasker_cancel';
const TRANSITION_CHANNEL = 'tasker_transitions';
/** At most one NOTIFY round trip per this many milliseconds (signals coalesce meanwhile). */
const NOTIFY_MIN_INTERVAL_MS = 5;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_PAYLOAD_BYTES = 7_800;
const RECONNECT_DELAY_MS = 1_000;

export interface SignalHandlers {
  /** Jobs were enqueued for `namespace`, possibly by another process. */
  wake(namespace: string): void;
  /** A task or step was cancelled, possibly by another process: abort its running handlers. */
  cancel(target: CancelTarget): void;
  /** State changes committed by any process (including this one), in each process's commit order. */
  transitions(events: TransitionEvent[]): void;
  /** The listener (re)connected: notifications may have been missed meanwhile. */
  reconnected(): void;
}

/** Packs events into as few JSON arrays as fit in a NOTIFY payload each. */
function packTransitions(events: readonly TransitionEvent[]): string[] {
  const payloads: string[] = [];
  let batch: string[] = [];
  let size = 2;
  for (const event of events) {
    const json = JSON.stringify(event);
    if (batch.length > 0 && size + json.length + 1 > MAX_PAYLOAD_BYTES) {
      payloads.push(`[${batch.join(',')}]`);
      batch = [];
      size = 2;
    }
    batch.push(json);
    size += json.length + 1;
  }
  if (batch.length > 0) payloads.push(`[${batch.join(',')}]`);
  return payloads;
}

/**
 * Signals between processes through PostgreSQL LISTEN/NOTIFY: job wake-ups, cancellations and
 * committed state changes. Unlike a NOTIFY inside every job's transaction (which serialises
 * commits), signals are sent after commit, outside the work's transaction, and coalesced: one round
 * trip carries everything gathered since the previous one.
 */
export class Signals {
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private stopped = false;
  private readonly pendingNamespaces = new Set<string>();
  private pendingTransitions: TransitionEvent[] = [];
  private flushing = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly handlers: SignalHandlers,
    private readonly logger: Logger,
  ) {}

  /** Starts listening (once; later calls wait for the same connection). */
  listen(): Promise<void> {
    this.listening ??= this.connect();
    return this.listening;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const listener = this.listener;
    this.listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Tells other processes that `namespace` has new jobs. */
  announce(namespace: string): void {
    this.pendingNamespaces.add(namespace);
    this.scheduleFlush();
  }

  /** Shares a committed state change with every process (this one included). */
  broadcastTransition(event: TransitionEvent): void {
    this.pendingTransitions.push(event);
    this.scheduleFlush();
  }

  async broadcastCancel(target: CancelTarget): Promise<void> {
    const payload = 'taskId' in target ? `task:${target.taskId}` : `step:${target.stepId}`;
    await this.pool.query('SELECT pg_notify($1, $2)', [CANCEL_CHANNEL, payload]);
  }

  private scheduleFlush(): void {
    if (!this.flushing && !this.stopped) void this.flush();
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while ((this.pendingNamespaces.size > 0 || this.pendingTransitions.length > 0) && !this.stopped) {
        const channels: string[] = [];
        const payloads: string[] = [];
        for (const namespace of this.pendingNamespaces) {
          channels.push(WAKE_CHANNEL);
          payloads.push(namespace);
        }
        for (const payload of packTransitions(this.pendingTransitions)) {
          channels.push(TRANSITION_CHANNEL);
          payloads.push(payload);
        }
        this.pendingNamespaces.clear();
        this.pendingTransitions = [];
        await this.pool
          .query(
            'SELECT pg_notify(channel, payload) FROM unnest($1::text[], $2::text[]) AS s(channel, payload)',
            [channels, payloads],
          )
          .catch((error: unknown) => this.logger.warn({ err: error }, 'Could not send notifications'));
        await new Promise((resolve) => setTimeout(resolve, NOTIFY_MIN_INTERVAL_MS));
      }
    } finally {
      this.flushing = false;
    }
  }

  private dispatch(channel: string, payload: string): void {
    if (channel === WAKE_CHANNEL) this.handlers.wake(payload);
    else if (channel === CANCEL_CHANNEL) {
      const [kind, id] = payload.split(':');
      this.handlers.cancel(kind === 'step' ? { stepId: Number(id) } : { taskId: Number(id) });
    } else if (channel === TRANSITION_CHANNEL) {
      this.handlers.transitions(JSON.parse(payload) as TransitionEvent[]);
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'tasker-listener',
    });
    client.on('notification', (message) => {
      if (!message.payload) return;
      try {
        this.dispatch(message.channel, message.payload);
      } catch (error) {
        this.logger.error({ err: error, channel: message.channel }, 'Handling a notification failed');
      }
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'The notification listener lost its connection; reconnecting');
      void this.reconnectLater(client);
    });
    await client.connect();
    await client.query(`LISTEN ${WAKE_CHANNEL}; LISTEN ${CANCEL_CHANNEL}; LISTEN ${TRANSITION_CHANNEL}`);
    this.listener = client;
  }

  private async reconnectLater(failed: pg.Client): Promise<void> {
    if (this.listener !== failed || this.stopped) return;
    this.listener = undefined;
    await failed.end().catch(() => undefined);
    while (!this.stopped && !this.listener) {
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
      if (this.stopped) return;
      try {
        await this.connect();
        this.handlers.reconnected();
      } catch (error) {
        this.logger.warn({ err: error }, 'Reconnecting the notification listener failed; retrying');
      }
    }
  }
}
