import { lexicographicSortSchema, printSchema } from 'graphql';
import { buildTaskerSchema } from './schema';

/** Where the schema is checked in, relative to the package root. */
export const SCHEMA_FILE = 'graphql/schema.graphql';

/** The SDL of the schema, sorted so that the order of resolver classes does not matter. */
export async function printTaskerSchema(): Promise<string> {
  return `${printSchema(lexicographicSortSchema(await buildTaskerSchema()))}\n`;
}
