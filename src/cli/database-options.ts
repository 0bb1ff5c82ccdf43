import type { TaskerOptions } from '../interfaces';

/** Engine options every command shares: the database from DATABASE_URL, else the embedded one. */
export function databaseOptions(): Pick<TaskerOptions, 'databaseUrl'> {
  return { databaseUrl: process.env.DATABASE_URL || undefined };
}
