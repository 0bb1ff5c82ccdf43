import pino from 'pino';
import { createEngine, type TaskerEngine } from '../../src/engine';
import type { TaskerOptions } from '../../src/interfaces';
import type { TestDatabase } from './database';

/** An engine on a test database with a silent logger. */
export function testEngine(db: TestDatabase, options: Omit<TaskerOptions, 'databaseUrl'> = {}): TaskerEngine {
  return createEngine({ logger: pino({ level: 'silent' }), ...options, databaseUrl: db.url });
}
