import type { TestProject } from 'vitest/node';
import { createPool } from '../../src/db/pool';
import { migrateUp } from '../../src/db/migrator';
import { databaseUrl, dropDatabase, withAdminClient } from './admin';

declare module 'vitest' {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

/** Migrates one template database per run; each test file clones it (CREATE DATABASE … TEMPLATE is fast). */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const template = `tasker_tpl_${process.pid}`;
  await dropDatabase(template);
  await withAdminClient((client) => client.query(`CREATE DATABASE "${template}"`));
  const pool = createPool({ connectionString: databaseUrl(template), max: 2 });
  try {
    await migrateUp(pool);
  } finally {
    await pool.end();
  }
  project.provide('templateDatabase', template);
  return () => dropDatabase(template);
}
