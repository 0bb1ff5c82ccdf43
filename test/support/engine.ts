import pino from 'pino';
import { createEngine, type TaskerEngine } from '../../src/engine';
import type { TaskerOptions } from '../../src/interfaces';
import type { TestDatabase } from './database';

/** An engine on a test database with a silent logger; it runs no workers unless `worker` is given. */
export function testEngine(db: TestDatabase, options: Omit<TaskerOptions, 'databaseUrl'> = {}): TaskerEngine {
  return createEngine({
    logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
    worker: false,
    ...options,
    databaseUrl: db.url,
  });
}

/** Worker settings for tests: wake-ups make them fast; polling is only the fallback. */
export const FAST_WORKER = {
  concurrency: 20,
  batchSize: 10,
  pollIntervalMs: 200,
  heartbeatSeconds: 10,
  recoveryCheckSeconds: 1,
};
export const FAST_BACKOFF = { initialSeconds: 0.05, multiplier: 2, maxSeconds: 1, jitter: 0 };
