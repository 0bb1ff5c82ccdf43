import pg from 'pg';
import type { Logger } from '../interfaces';
import type { CancelTarget } from './running-steps';

const WAKE_CHANNEL = 'tasker_wakeup';
const CANCEL_CHANNEL = 'tasker_cancel';
/** At most one wake-up NOTIFY round trip per this many milliseconds (they coalesce meanwhile). */
const NOTIFY_MIN_INTERVAL_MS = 5;
const RECONNECT_DELAY_MS = 1_000;

export interface WakeupHandlers {
  /** Jobs were enqueued for `namespace`, possibly by another process. */
  wake(namespace: string): void;
  /** A task or step was cancelled, possibly by another process: abort its running handlers. */
  cancel(target: CancelTarget): void;
  /** The listener (re)connected: notifications may have been missed meanwhile. */
  reconnected(): void;
}

/**
 * Cross-process wake-ups through PostgreSQL LISTEN/NOTIFY. Unlike a NOTIFY inside every job's
 * transaction (which serialises commits), notifications are sent after commit, outside the work's
 * transaction, and coalesced: one round trip carries every namespace that needs waking.
 */
export class Wakeups {
  private listener: pg.Client | undefined;
  private stopped = false;
  private readonly pendingNamespaces = new Set<string>();
  private flushing = false;

  constructor(
    private readonly pool: pg.Pool,
    private readonly connectionString: string,
    private readonly handlers: WakeupHandlers,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
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
    if (!this.flushing) void this.flush();
  }

  async broadcastCancel(target: CancelTarget): Promise<void> {
    const payload = 'taskId' in target ? `task:${target.taskId}` : `step:${target.stepId}`;
    await this.pool.query('SELECT pg_notify($1, $2)', [CANCEL_CHANNEL, payload]);
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.pendingNamespaces.size > 0 && !this.stopped) {
        const namespaces = [...this.pendingNamespaces];
        this.pendingNamespaces.clear();
        await this.pool
          .query('SELECT pg_notify($1, ns) FROM unnest($2::text[]) AS ns', [WAKE_CHANNEL, namespaces])
          .catch((error: unknown) =>
            this.logger.warn({ err: error }, 'Could not send a wake-up notification'),
          );
        await new Promise((resolve) => setTimeout(resolve, NOTIFY_MIN_INTERVAL_MS));
      }
    } finally {
      this.flushing = false;
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: 'tasker-listener',
    });
    client.on('notification', (message) => {
      if (!message.payload) return;
      if (message.channel === WAKE_CHANNEL) this.handlers.wake(message.payload);
      else if (message.channel === CANCEL_CHANNEL) {
        const [kind, id] = message.payload.split(':');
        this.handlers.cancel(kind === 'step' ? { stepId: Number(id) } : { taskId: Number(id) });
      }
    });
    client.on('error', (error) => {
      this.logger.warn({ err: error }, 'The notification listener lost its connection; reconnecting');
      void this.reconnectLater(client);
    });
    await client.connect();
    await client.query(`LISTEN ${WAKE_CHANNEL}; LISTEN ${CANCEL_CHANNEL}`);
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
