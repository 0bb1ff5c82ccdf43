import pino from 'pino';
import type { Logger } from '../interfaces';

/** The logger used when the host application gives none: pino at LOG_LEVEL (default `info`). */
export function defaultLogger(): Logger {
  return pino({ name: 'tasker', level: process.env.LOG_LEVEL ?? 'info' });
}
