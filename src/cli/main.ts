#!/usr/bin/env node
import { Command } from 'commander';
import { registerGraphqlSchemaCommand } from './graphql-schema-command';
import { registerGenerateCommand } from './generate-command';
import { registerMigrateCommand } from './migrate-command';
import { registerRunCommand } from './run-command';
import { registerStartCommand } from './start-command';
import { registerStatusCommand } from './status-command';
import { registerWorkerCommand } from './worker-command';

const program = new Command()
  .name('tasker')
  .description('Tasker: workflow orchestration on PostgreSQL')
  .showHelpAfterError();
registerStartCommand(program);
registerMigrateCommand(program);
registerWorkerCommand(program);
registerRunCommand(program);
registerStatusCommand(program);
registerGenerateCommand(program);
registerGraphqlSchemaCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
