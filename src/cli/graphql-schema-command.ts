import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { printTaskerSchema, SCHEMA_FILE } from '../graphql/print-schema';

function readIfExists(file: string): string | undefined {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

export function registerGraphqlSchemaCommand(program: Command): void {
  program
    .command('graphql-schema')
    .description(`write the GraphQL schema (SDL) to ${SCHEMA_FILE}, or check that it is up to date`)
    .option('--check', 'write nothing; exit with status 1 when the file differs from the schema')
    .option('--output <file>', 'the schema file', SCHEMA_FILE)
    .action(async (options: { check?: boolean; output: string }) => {
      const file = path.resolve(options.output);
      const schema = await printTaskerSchema();
      if (options.check) {
        if (readIfExists(file) === schema) {
          console.log(`${options.output} is up to date.`);
          return;
        }
        console.error(`${options.output} is stale; regenerate it with \`npm run graphql:schema\`.`);
        process.exitCode = 1;
        return;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, schema);
      console.log(`Wrote ${options.output}.`);
    });
}
