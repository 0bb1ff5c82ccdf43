import pg from 'pg';
import type { Queryable } from '../pool';

/**
 * Jobs waiting in each of the given pg-boss queues (states `created` and `retry`, including those
 * whose start time is still ahead), read straight from pg-boss's job table in `schema`. Queues
 * without waiting jobs are absent from the map.
 */
export async function queuedJobCounts(
  db: Queryable,
  schema: string,
  queueNames: readonly string[],
): Promise<Map<string, number>> {
  if (queueNames.length === 0) return new Map();
  const { rows } = await db.query<{ name: string; queued: number }>(
    `SELECT name, count(*)::int AS queued
       FROM ${pg.escapeIdentifier(schema)}.job
      WHERE name = ANY ($1::text[]) AND state IN ('created', 'retry')
      GROUP BY name`,
    [queueNames],
  );
  return new Map(rows.map((row) => [row.name, row.queued]));
}
