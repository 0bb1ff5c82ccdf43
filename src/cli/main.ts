#!/usr/bin/env node
import { Command } from 'commander';
import { registerGraphqlSchemaCommand } from './graphql-schema-command';
import { registerMigrateCommand } from './migrate-command';
import { registerStartCommand } from './start-command';
import { registerWorkerCommand } from './worker-command';

const program = new Command()
  .name('tasker')
  .description('Tasker: workflow orchestration on PostgreSQL')
  .showHelpAfterError();
registerStartCommand(program);
registerMigrateCommand(program);
registerWorkerCommand(program);
registerGraphqlSchemaCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
