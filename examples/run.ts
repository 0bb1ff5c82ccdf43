import { createEngine } from '../src';
import { consoleLogger } from '../src/cli/console-logger';
import { databaseOptions } from '../src/cli/database-options';
import { examples, type Example } from './index';

/**
 * `npm run example -- <name>`: sets the example up, runs its scenarios on in-process workers
 * against DATABASE_URL (or the embedded PostgreSQL under ./.tasker), prints what happened, exits.
 */
async function main(name: string | undefined): Promise<void> {
  const example = examples.find((candidate) => candidate.name === name);
  if (!example) {
    console.error(`Usage: npm run example -- <${examples.map((e) => e.name).join('|')}>`);
    for (const candidate of examples)
      console.error(`  ${candidate.name.padEnd(14)} ${candidate.description}`);
    process.exitCode = 2;
    return;
  }
  await run(example);
}

async function run(example: Example): Promise<void> {
  const setup = await example.setUp();
  const engine = createEngine({
    ...databaseOptions(),
    tasks: setup.tasks,
    stepHandlers: setup.stepHandlers,
    logger: consoleLogger('warn'),
  });
  try {
    await engine.ready();
    console.log(`Example ${example.description}`);
    await example.demonstrate(engine, setup, (line) => console.log(line));
  } finally {
    await engine.close();
    await setup.close();
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
