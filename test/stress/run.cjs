// `npm run stress [-- --short] [-- --only worker-crashes,soak]`: runs the stress scenarios with vitest
// (vitest.stress.config.mts); each scenario writes its figures to a temporary directory (STRESS_PARTS_DIR),
// merged afterwards into results/latest.json (full runs) or results/latest-short.json (short runs).
// The dist/ build must be current (`npm run stress` builds first).
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '../..');
const RESULTS = path.join(__dirname, 'results');
const PARTS = path.join(os.tmpdir(), `tasker-stress-parts-${process.pid}`);

function parseArgs(argv) {
  const args = { short: process.env.STRESS_MODE === 'short', only: undefined };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--short') args.short = true;
    else if (argv[i] === '--only') args.only = argv[(i += 1)].split(',');
    else if (argv[i].startsWith('--only=')) args.only = argv[i].slice('--only='.length).split(',');
    else throw new Error(`unknown option ${argv[i]} (expected --short, --only <scenario,…>)`);
  }
  return args;
}

function scenarioFiles(only) {
  const all = fs
    .readdirSync(__dirname)
    .filter((file) => file.endsWith('.stress.ts'))
    .sort();
  if (!only) return all.map((file) => path.join('test/stress', file));
  const chosen = only.map((name) => {
    const file = `${name}.stress.ts`;
    if (!all.includes(file)) throw new Error(`no scenario ${name} (have: ${all.join(', ')})`);
    return path.join('test/stress', file);
  });
  return chosen;
}

function vitestOutcomes(file) {
  if (!fs.existsSync(file)) return {};
  const report = JSON.parse(fs.readFileSync(file, 'utf8'));
  const outcomes = {};
  for (const result of report.testResults ?? []) {
    const scenario = path.basename(result.name, '.stress.ts');
    outcomes[scenario] = {
      status: result.status,
      failures: (result.assertionResults ?? [])
        .filter((test) => test.status === 'failed')
        .map((test) => ({
          test: test.fullName,
          message: (test.failureMessages ?? []).join('\n').slice(0, 2000),
        })),
    };
  }
  return outcomes;
}

function printSummary(results) {
  console.log(`\n== Stress summary (${results.mode}, ${results.totalSeconds} s)`);
  for (const [name, scenario] of Object.entries(results.scenarios)) {
    console.log(`\n${name}: ${scenario.status.toUpperCase()} (${scenario.durationSeconds ?? '?'} s)`);
    for (const [key, value] of Object.entries(scenario.figures ?? {})) {
      console.log(`  ${key}: ${typeof value === 'object' ? JSON.stringify(value) : value}`);
    }
    for (const failure of scenario.failures ?? []) console.log(`  FAILED ${failure.test}`);
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const files = scenarioFiles(args.only);
  fs.rmSync(PARTS, { recursive: true, force: true });
  fs.mkdirSync(PARTS, { recursive: true });
  const vitestJson = path.join(PARTS, 'vitest.json');
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/vitest/vitest.mjs'),
      'run',
      '--config',
      'vitest.stress.config.mts',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${vitestJson}`,
      ...files,
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, STRESS_MODE: args.short ? 'short' : 'full', STRESS_PARTS_DIR: PARTS },
    },
  );
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  const run = await new Promise((resolve) => child.once('exit', (status) => resolve({ status })));
  const outcomes = vitestOutcomes(vitestJson);
  const scenarios = {};
  for (const file of files) {
    const name = path.basename(file, '.stress.ts');
    const partFile = path.join(PARTS, `${name}.json`);
    const part = fs.existsSync(partFile) ? JSON.parse(fs.readFileSync(partFile, 'utf8')) : {};
    scenarios[name] = {
      status: outcomes[name]?.status ?? 'not run',
      durationSeconds: part.durationSeconds,
      figures: part.figures ?? {},
      failures: outcomes[name]?.failures ?? [],
    };
  }
  const results = {
    mode: args.short ? 'short' : 'full',
    partial: Boolean(args.only),
    date: new Date().toISOString(),
    node: process.version,
    totalSeconds: Math.round((Date.now() - started) / 1000),
    passed: run.status === 0,
    scenarios,
  };
  const name = `latest${args.short ? '-short' : ''}${args.only ? '-partial' : ''}.json`;
  const prettier = require('prettier');
  const text = await prettier.format(JSON.stringify(results), { parser: 'json', printWidth: 110 });
  fs.writeFileSync(path.join(RESULTS, name), text);
  fs.rmSync(PARTS, { recursive: true, force: true });
  printSummary(results);
  console.log(`\nFigures written to ${path.relative(ROOT, path.join(RESULTS, name))}`);
  process.exit(run.status ?? 1);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
