import type { AddressInfo } from 'node:net';
import http from 'node:http';
import autocannon from 'autocannon';
import express from 'express';
import pino from 'pino';
import { defineTask, tasker } from '../../src/index';
import { NAMESPACE, POOL_SIZE } from '../lib/tasker';
import type { Scenario, ScenarioContext } from '../lib/types';

const definition = defineTask({
  name: 'api_load',
  namespaceName: NAMESPACE,
  version: '1.0.0',
  stepTemplates: [{ name: 'only', handlerClass: 'Noop' }],
});

const TASK_QUERY = `query Task($taskId: ID!) {
  task(taskId: $taskId) { taskId name status complete workflowSteps { workflowStepId name status attempts } }
}`;

/**
 * The HTTP API under load: an Express app with `tasker({ auth: false, worker: false })` mounted at
 * `/tasker` (an API-only process: created tasks are queued, nothing runs them), on a free port of
 * 127.0.0.1, driven by autocannon in this same process with `apiConnections` connections for
 * `apiLoadSeconds` each: `POST /tasks` (a single-step task, a fresh context per request so no
 * identity collides) and a GraphQL `task(taskId)` query with its steps. Any non-2xx answer fails
 * the scenario.
 */
export const apiLoad: Scenario = {
  name: 'api-load',
  timeoutMs: (s) => 90_000 + s.apiLoadSeconds * 2 * 3_000,
  async run(ctx) {
    const router = tasker({
      databaseUrl: ctx.databaseUrl,
      tasks: [definition],
      stepHandlers: { Noop: () => ({}) },
      worker: false,
      auth: false,
      poolSize: POOL_SIZE,
      logger: pino({ level: 'warn' }, pino.destination(2)),
      shutdownTimeoutMs: 5_000,
    });
    ctx.onCleanup(() => router.close());
    await router.ready();
    const app = express();
    app.use('/tasker', router);
    const server = http.createServer(app);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    ctx.onCleanup(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/tasker`;
    const target = await router.engine.createTask({ name: 'api_load', namespace: NAMESPACE, context: {} });
    ctx.progress(`listening on ${base}; GraphQL target task ${target.taskId}`);
    await checkOnce(base, target.taskId);

    await load(ctx, 'POST /tasks', {
      url: `${base}/tasks`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: { name: 'api_load', namespace: NAMESPACE, context: { id: '[<id>]' } } }),
      idReplacement: true,
    });
    await load(ctx, 'POST /graphql task(taskId)', {
      url: `${base}/graphql`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: TASK_QUERY, variables: { taskId: String(target.taskId) } }),
    });
  },
};

async function load(ctx: ScenarioContext, label: string, options: autocannon.Options): Promise<void> {
  const { apiLoadSeconds: duration, apiConnections: connections } = ctx.settings;
  ctx.progress(`${label}: ${connections} connections for ${duration} s`);
  const result = await autocannon({ ...options, connections, duration, timeout: 10 });
  const name = `${label} (${connections} conn, ${duration} s)`;
  ctx.record({ metric: `${name} req/s`, value: result.requests.average, unit: '/s' });
  ctx.record({ metric: `${name} latency p50`, value: result.latency.p50, unit: 'ms' });
  ctx.record({ metric: `${name} latency p99`, value: result.latency.p99, unit: 'ms' });
  ctx.record({ metric: `${name} non-2xx responses`, value: result.non2xx, unit: 'n' });
  ctx.record({ metric: `${name} errors + timeouts`, value: result.errors + result.timeouts, unit: 'n' });
  ctx.progress(
    `${label}: ${result.requests.average} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
      `${result['2xx']} 2xx, ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`,
  );
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0 || result['2xx'] === 0) {
    throw new Error(
      `${label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts, ${result['2xx']} 2xx`,
    );
  }
}

/** One request of each kind by hand, so a body the API rejects (or a GraphQL error inside a 200) fails early. */
async function checkOnce(base: string, taskId: number): Promise<void> {
  const created = await fetch(`${base}/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ task: { name: 'api_load', namespace: NAMESPACE, context: { id: 'check' } } }),
  });
  if (created.status !== 201)
    throw new Error(`POST /tasks answered ${created.status}: ${await created.text()}`);
  const answer = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: TASK_QUERY, variables: { taskId: String(taskId) } }),
  });
  const body = (await answer.json()) as {
    data?: { task?: { workflowSteps?: unknown[] } | null };
    errors?: unknown;
  };
  if (answer.status !== 200 || body.errors || body.data?.task?.workflowSteps?.length !== 1) {
    throw new Error(`GraphQL task(taskId) answered ${answer.status}: ${JSON.stringify(body)}`);
  }
}
