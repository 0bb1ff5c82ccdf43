import fs from 'node:fs';
import path from 'node:path';
import { buildSchema, type GraphQLObjectType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, type HttpResult } from './support/api-client';
import { createStressDatabase, type StressDatabase } from './support/database';
import { trySubscription } from './support/graphql-ws';
import { startApi, type ApiProcess } from './support/processes';
import { ScenarioReport } from './support/results';
import { adminToken, forgedTokens, rsaKeyPair, validToken } from './support/tokens';

const ALL_PERMISSIONS = [
  'tasker.task:index',
  'tasker.task:show',
  'tasker.task:create',
  'tasker.task:update',
  'tasker.task:destroy',
  'tasker.task:retry',
  'tasker.task:cancel',
  'tasker.workflow_step:index',
  'tasker.workflow_step:show',
  'tasker.workflow_step:update',
  'tasker.workflow_step:destroy',
  'tasker.workflow_step:retry',
  'tasker.workflow_step:cancel',
  'tasker.workflow_step:resolve',
  'tasker.health_status:index',
  'tasker.handler:index',
  'tasker.handler:show',
  'tasker.metrics:index',
  'tasker.analytics:index',
];

const SQL_INJECTIONS = [
  "'; DROP TABLE stress_canary; --",
  'task_id; DROP TABLE stress_canary',
  'requested_at DESC; DELETE FROM tasker_tasks',
  'name) UNION SELECT * FROM pg_user --',
  "pending' OR '1'='1",
  "' OR 1=1 --",
  '1 OR 1=1',
  '(SELECT pg_sleep(3))',
  'requested_at, (SELECT CASE WHEN (1=1) THEN pg_sleep(3) END)',
  "linear'; UPDATE tasker_tasks SET complete = true; --",
  '$1',
  '%',
  '\\',
  'asc NULLS FIRST; TRUNCATE tasker_tasks',
];

/** Tables that reads fill on purpose (analytics rollups): their presence is checked, not their count. */
const CACHE_TABLES = ['tasker_analytics_rollups'];

interface GraphQLRootField {
  field: string;
  kind: 'query' | 'mutation' | 'subscription';
  permission: string;
  operation: (ids: Ids) => { query: string; variables?: Record<string, unknown> };
}

interface Ids {
  taskId: number;
  stepId: number;
}

const GRAPHQL_FIELDS: GraphQLRootField[] = [
  {
    field: 'tasks',
    kind: 'query',
    permission: 'tasker.task:index',
    operation: () => ({ query: '{ tasks { taskId } }' }),
  },
  {
    field: 'tasksByStatus',
    kind: 'query',
    permission: 'tasker.task:index',
    operation: () => ({ query: '{ tasksByStatus(status: "pending") { taskId } }' }),
  },
  {
    field: 'tasksByAnnotation',
    kind: 'query',
    permission: 'tasker.task:index',
    operation: () => ({
      query:
        '{ tasksByAnnotation(annotationType: "t", annotationKey: "k", annotationValue: "v") { taskId } }',
    }),
  },
  {
    field: 'task',
    kind: 'query',
    permission: 'tasker.task:show',
    operation: (ids) => ({ query: `{ task(taskId: "${ids.taskId}") { taskId } }` }),
  },
  {
    field: 'step',
    kind: 'query',
    permission: 'tasker.workflow_step:show',
    operation: (ids) => ({ query: `{ step(taskId: "${ids.taskId}", stepId: "${ids.stepId}") { name } }` }),
  },
  {
    field: 'annotationTypes',
    kind: 'query',
    permission: 'tasker.task:index',
    operation: () => ({ query: '{ annotationTypes { name } }' }),
  },
  {
    field: 'handlers',
    kind: 'query',
    permission: 'tasker.handler:index',
    operation: () => ({ query: '{ handlers { name } }' }),
  },
  {
    field: 'handler',
    kind: 'query',
    permission: 'tasker.handler:show',
    operation: () => ({ query: '{ handler(namespace: "stress", name: "linear") { name } }' }),
  },
  {
    field: 'healthStatus',
    kind: 'query',
    permission: 'tasker.health_status:index',
    operation: () => ({ query: '{ healthStatus { __typename } }' }),
  },
  {
    field: 'analyticsPerformance',
    kind: 'query',
    permission: 'tasker.analytics:index',
    operation: () => ({ query: '{ analyticsPerformance { __typename } }' }),
  },
  {
    field: 'bottlenecks',
    kind: 'query',
    permission: 'tasker.analytics:index',
    operation: () => ({ query: '{ bottlenecks { __typename } }' }),
  },
  {
    field: 'createTask',
    kind: 'mutation',
    permission: 'tasker.task:create',
    operation: () => ({
      query: 'mutation ($input: CreateTaskInput!) { createTask(input: $input) { taskId } }',
      variables: { input: { name: 'linear', namespace: 'stress', context: { attack: true } } },
    }),
  },
  {
    field: 'updateTask',
    kind: 'mutation',
    permission: 'tasker.task:update',
    operation: (ids) => ({
      query: `mutation { updateTask(input: { taskId: "${ids.taskId}", reason: "pwned" }) { taskId } }`,
    }),
  },
  {
    field: 'cancelTask',
    kind: 'mutation',
    permission: 'tasker.task:cancel',
    operation: (ids) => ({ query: `mutation { cancelTask(input: { taskId: "${ids.taskId}" }) { taskId } }` }),
  },
  {
    field: 'retryTask',
    kind: 'mutation',
    permission: 'tasker.task:retry',
    operation: (ids) => ({ query: `mutation { retryTask(input: { taskId: "${ids.taskId}" }) { taskId } }` }),
  },
  {
    field: 'updateStep',
    kind: 'mutation',
    permission: 'tasker.workflow_step:update',
    operation: (ids) => ({
      query: `mutation { updateStep(input: { taskId: "${ids.taskId}", stepId: "${ids.stepId}", retryLimit: 9 }) { name } }`,
    }),
  },
  {
    field: 'cancelStep',
    kind: 'mutation',
    permission: 'tasker.workflow_step:cancel',
    operation: (ids) => ({
      query: `mutation { cancelStep(input: { taskId: "${ids.taskId}", stepId: "${ids.stepId}" }) { name } }`,
    }),
  },
  {
    field: 'resolveStep',
    kind: 'mutation',
    permission: 'tasker.workflow_step:resolve',
    operation: (ids) => ({
      query: `mutation { resolveStep(input: { taskId: "${ids.taskId}", stepId: "${ids.stepId}" }) { name } }`,
    }),
  },
  {
    field: 'taskUpdated',
    kind: 'subscription',
    permission: 'tasker.task:show',
    operation: (ids) => ({ query: `subscription { taskUpdated(taskId: "${ids.taskId}") { event } }` }),
  },
  {
    field: 'stepUpdated',
    kind: 'subscription',
    permission: 'tasker.task:show',
    operation: (ids) => ({ query: `subscription { stepUpdated(taskId: "${ids.taskId}") { event } }` }),
  },
  {
    field: 'taskEvents',
    kind: 'subscription',
    permission: 'tasker.task:index',
    operation: () => ({ query: 'subscription { taskEvents(namespace: "stress") { event } }' }),
  },
];

interface RestRoute {
  method: string;
  path: string;
  permission: string;
}

function rootFieldsOfSchema(): string[] {
  const sdl = fs.readFileSync(path.resolve(__dirname, '../../graphql/schema.graphql'), 'utf8');
  const schema = buildSchema(sdl);
  const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].filter(
    (type): type is GraphQLObjectType => Boolean(type),
  );
  return roots.flatMap((type) => Object.keys(type.getFields()));
}

/** A valid body for each write route, so only authorization stands between the request and its effect. */
function bodyFor(route: RestRoute): object | undefined {
  if (route.method === 'post' && route.path === '/tasks') {
    return { task: { name: 'linear', namespace: 'stress', context: { attack: true } } };
  }
  if (route.path === '/tasks/{id}' && ['patch', 'put'].includes(route.method))
    return { task: { reason: 'pwned' } };
  if (route.path.endsWith('/workflow_steps/{id}') && ['patch', 'put'].includes(route.method)) {
    return { workflow_step: { retry_limit: 9 } };
  }
  if (route.path.endsWith('/resolve')) return { results: { pwned: true } };
  return undefined;
}

function urlFor(route: RestRoute, ids: Ids): string {
  return route.path
    .replace('{task_id}', String(ids.taskId))
    .replace('/tasks/{id}', `/tasks/${ids.taskId}`)
    .replace('{id}', String(ids.stepId))
    .replace('{namespace}', 'stress')
    .replace('{name}', 'linear');
}

function describeResult(res: HttpResult): string {
  return `${res.status} ${res.text.slice(0, 200)}`;
}

describe('auth attacks on every REST route, GraphQL root field and subscription', () => {
  const report = new ScenarioReport('auth-attacks');
  const keys = rsaKeyPair();
  const forger = rsaKeyPair();
  let db: StressDatabase;
  let api: ApiProcess;
  let ids: Ids;
  let routes: RestRoute[];
  let tableCounts: Record<string, number>;

  /** Row counts of every table (a cache the analytics queries fill legitimately only counts as present). */
  async function countRows(): Promise<Record<string, number>> {
    const { rows: tables } = await db.pool.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`,
    );
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      if (CACHE_TABLES.includes(name)) {
        counts[name] = -1;
        continue;
      }
      const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name}"`);
      counts[name] = rows[0].n;
    }
    return counts;
  }

  async function taskFingerprint() {
    const { rows } = await db.pool.query(
      `SELECT t.reason, t.complete, (SELECT count(*)::int FROM tasker_task_transitions x WHERE x.task_id = t.task_id) AS task_transitions,
              (SELECT count(*)::int FROM tasker_workflow_step_transitions x JOIN tasker_workflow_steps s USING (workflow_step_id)
                WHERE s.task_id = t.task_id) AS step_transitions,
              (SELECT retry_limit FROM tasker_workflow_steps s WHERE s.workflow_step_id = $2) AS retry_limit
         FROM tasker_tasks t WHERE t.task_id = $1`,
      [ids.taskId, ids.stepId],
    );
    return rows[0];
  }

  beforeAll(async () => {
    db = await createStressDatabase('auth');
    api = await startApi(db.url, keys.publicKey);
    const created = await http('POST', `${api.baseUrl}/tasks`, {
      token: adminToken(keys),
      body: { task: { name: 'linear', namespace: 'stress', context: { target: true } } },
    });
    const task = (
      created.json as { task: { task_id: number; workflow_steps: { workflow_step_id: number }[] } }
    ).task;
    ids = { taskId: task.task_id, stepId: task.workflow_steps[0].workflow_step_id };
    await db.pool.query(
      'CREATE TABLE stress_canary (id int PRIMARY KEY); INSERT INTO stress_canary VALUES (1)',
    );
    const openapi = (await http('GET', `${api.baseUrl}/openapi.json`)).json as {
      paths: Record<string, Record<string, { 'x-tasker-permission'?: string }>>;
    };
    routes = Object.entries(openapi.paths).flatMap(([routePath, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => operation['x-tasker-permission'])
        .map(([method, operation]) => ({
          method,
          path: routePath,
          permission: operation['x-tasker-permission'] as string,
        })),
    );
    tableCounts = await countRows();
  });
  afterAll(async () => {
    report.write();
    await api?.stop();
    await db?.drop();
  });

  it('refuses every forged, expired or misdirected token on every REST route with 401', async () => {
    const before = await taskFingerprint();
    const accepted: string[] = [];
    let requests = 0;
    for (const [name, token] of forgedTokens(keys, forger)) {
      for (const route of routes) {
        const res = await http(route.method.toUpperCase(), `${api.baseUrl}${urlFor(route, ids)}`, {
          token,
          body: bodyFor(route),
        });
        requests += 1;
        const body = res.json as { error?: string; message?: string } | undefined;
        if (res.status !== 401 || body?.error !== 'Unauthorized' || !body.message) {
          accepted.push(`${name}: ${route.method.toUpperCase()} ${route.path} → ${describeResult(res)}`);
        }
      }
    }
    report.merge({
      restRoutes: routes.length,
      forgedTokenKinds: forgedTokens(keys, forger).length,
      restForgedRequests: requests,
      restForgedAccepted: accepted.length,
    });
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(accepted).toEqual([]);
    expect(await taskFingerprint()).toEqual(before);
  });

  it('refuses a valid token that lacks the route permission with 403 on every REST route', async () => {
    const before = await taskFingerprint();
    const allowed: string[] = [];
    for (const route of routes) {
      const token = validToken(keys, { permissions: ALL_PERMISSIONS.filter((p) => p !== route.permission) });
      const res = await http(route.method.toUpperCase(), `${api.baseUrl}${urlFor(route, ids)}`, {
        token,
        body: bodyFor(route),
      });
      const body = res.json as { error?: string; message?: string } | undefined;
      if (res.status !== 403 || body?.error !== 'Forbidden' || !body.message) {
        allowed.push(`${route.method.toUpperCase()} ${route.path} → ${describeResult(res)}`);
      }
    }
    report.set('restWithoutPermissionAllowed', allowed.length);
    expect(allowed).toEqual([]);
    expect(await taskFingerprint()).toEqual(before);
  });

  it('covers every GraphQL root field of the schema', () => {
    expect(GRAPHQL_FIELDS.map((f) => f.field).sort()).toEqual(rootFieldsOfSchema().sort());
  });

  it('refuses forged tokens on /graphql with 401 before GraphQL runs', async () => {
    const before = await taskFingerprint();
    const accepted: string[] = [];
    let requests = 0;
    for (const [name, token] of forgedTokens(keys, forger)) {
      for (const field of GRAPHQL_FIELDS.filter((f) => f.kind !== 'subscription')) {
        const res = await http('POST', `${api.baseUrl}/graphql`, { token, body: field.operation(ids) });
        requests += 1;
        const body = res.json as { error?: string; message?: string } | undefined;
        if (res.status !== 401 || body?.error !== 'Unauthorized' || !body.message) {
          accepted.push(`${name}: ${field.field} → ${describeResult(res)}`);
        }
      }
      const viaGet = await http(
        'GET',
        `${api.baseUrl}/graphql?query=${encodeURIComponent('{ tasks { taskId } }')}`,
        {
          token,
        },
      );
      requests += 1;
      if (viaGet.status !== 401) accepted.push(`${name}: GET /graphql → ${describeResult(viaGet)}`);
    }
    report.merge({
      graphqlRootFields: GRAPHQL_FIELDS.length,
      graphqlForgedRequests: requests,
      graphqlForgedAccepted: accepted.length,
    });
    expect(accepted).toEqual([]);
    expect(await taskFingerprint()).toEqual(before);
  });

  it('answers each GraphQL field with FORBIDDEN and no data to a token without its permission', async () => {
    const before = await taskFingerprint();
    const allowed: string[] = [];
    for (const field of GRAPHQL_FIELDS.filter((f) => f.kind !== 'subscription')) {
      const token = validToken(keys, { permissions: ALL_PERMISSIONS.filter((p) => p !== field.permission) });
      const res = await http('POST', `${api.baseUrl}/graphql`, { token, body: field.operation(ids) });
      const body = res.json as
        { data?: Record<string, unknown> | null; errors?: { extensions?: { code?: string } }[] } | undefined;
      const forbidden = body?.errors?.some((e) => e.extensions?.code === 'FORBIDDEN');
      if (res.status >= 500 || !forbidden || (body?.data?.[field.field] ?? null) !== null) {
        allowed.push(`${field.field} → ${describeResult(res)}`);
      }
    }
    report.set('graphqlWithoutPermissionAllowed', allowed.length);
    expect(allowed).toEqual([]);
    expect(await taskFingerprint()).toEqual(before);
  });

  it('closes graphql-ws sockets with 4403 for forged tokens and fails subscriptions without the permission', async () => {
    const wsUrl = `${api.baseUrl.replace('http', 'ws')}/graphql`;
    const problems: string[] = [];
    let attempts = 0;
    const subscriptions = GRAPHQL_FIELDS.filter((f) => f.kind === 'subscription');
    for (const [name, token] of forgedTokens(keys, forger)) {
      for (const field of subscriptions) {
        const { query } = field.operation(ids);
        for (const carrier of ['connectionParams', 'header'] as const) {
          if (token === undefined && carrier === 'header') continue;
          const auth = { [carrier]: token === undefined ? undefined : `Bearer ${token}` };
          const outcome = await trySubscription(wsUrl, query, {}, auth);
          attempts += 1;
          if (outcome.closeCode !== 4403 || outcome.results > 0) {
            problems.push(`${name} via ${carrier}: ${field.field} → ${JSON.stringify(outcome)}`);
          }
        }
      }
    }
    for (const field of subscriptions) {
      const token = validToken(keys, { permissions: ALL_PERMISSIONS.filter((p) => p !== field.permission) });
      const outcome = await trySubscription(
        wsUrl,
        field.operation(ids).query,
        {},
        { connectionParams: `Bearer ${token}` },
      );
      attempts += 1;
      if (!outcome.errors?.some((e) => e.extensions?.code === 'FORBIDDEN') || outcome.results > 0) {
        problems.push(`without ${field.permission}: ${field.field} → ${JSON.stringify(outcome)}`);
      }
    }
    const control = await trySubscription(
      wsUrl,
      `subscription { taskUpdated(taskId: "${ids.taskId}") { event } }`,
      {},
      { connectionParams: `Bearer ${adminToken(keys)}` },
    );
    report.merge({ subscriptionAttempts: attempts, subscriptionProblems: problems.length });
    expect(problems).toEqual([]);
    expect(control, 'a valid admin subscription stays open (the check is not vacuous)').toMatchObject({
      live: true,
    });
  });

  it('gives SQL injection in filters and sort parameters no effect', async () => {
    const token = adminToken(keys);
    const problems: string[] = [];
    let requests = 0;
    let slowest = 0;
    const send = async (what: string, method: string, url: string, body?: object) => {
      const started = Date.now();
      const res = await http(method, url, { token, body });
      slowest = Math.max(slowest, Date.now() - started);
      requests += 1;
      if (res.status >= 500) problems.push(`${what} → ${describeResult(res)}`);
      return res;
    };
    for (const injection of SQL_INJECTIONS) {
      const q = encodeURIComponent(injection);
      for (const param of ['sort_by', 'sort_order']) {
        await send(`GET /tasks ${param}=${injection}`, 'GET', `${api.baseUrl}/tasks?${param}=${q}`);
      }
      for (const param of ['namespace', 'name', 'version', 'status']) {
        const res = await send(
          `GET /tasks ${param}=${injection}`,
          'GET',
          `${api.baseUrl}/tasks?${param}=${q}`,
        );
        const tasks = (res.json as { tasks?: unknown[] } | undefined)?.tasks;
        if (res.status === 200 && tasks && tasks.length > 0) {
          problems.push(`GET /tasks ${param}=${injection} matched ${tasks.length} tasks`);
        }
      }
      await send(`GET /handlers/${injection}`, 'GET', `${api.baseUrl}/handlers/${q}`);
      await send(
        `GET /analytics/bottlenecks`,
        'GET',
        `${api.baseUrl}/analytics/bottlenecks?namespace=${q}&name=${q}&version=${q}`,
      );
      const variables = { v: injection };
      for (const query of [
        'query ($v: String!) { tasks(sortBy: $v) { taskId } }',
        'query ($v: String!) { tasks(sortOrder: $v) { taskId } }',
        'query ($v: String!) { tasks(namespace: $v, name: $v, version: $v, status: $v) { taskId } }',
        'query ($v: String!) { tasksByStatus(status: $v) { taskId } }',
        'query ($v: String!) { tasksByAnnotation(annotationType: $v, annotationKey: $v, annotationValue: $v) { taskId } }',
        'query ($v: String!) { handler(namespace: $v, name: $v) { name } }',
        'query ($v: String!) { bottlenecks(namespace: $v, name: $v, version: $v) { __typename } }',
      ]) {
        const res = await send(`GraphQL ${query} v=${injection}`, 'POST', `${api.baseUrl}/graphql`, {
          query,
          variables,
        });
        const data = (res.json as { data?: Record<string, unknown> } | undefined)?.data ?? {};
        for (const value of Object.values(data)) {
          if (Array.isArray(value) && value.length > 0 && !/sortBy|sortOrder/.test(query)) {
            problems.push(`GraphQL ${query} v=${injection} returned ${value.length} rows`);
          }
        }
      }
    }
    const after = await countRows();
    const canary = await db.pool.query('SELECT count(*)::int AS n FROM stress_canary');
    report.merge({
      sqlInjectionRequests: requests,
      sqlInjectionProblems: problems.length,
      sqlInjectionSlowestMs: slowest,
    });
    expect(problems).toEqual([]);
    expect(after, 'every table keeps its rows').toEqual(tableCounts);
    expect(canary.rows[0].n).toBe(1);
    expect(slowest, 'no injected pg_sleep ran').toBeLessThan(3_000);
    expect(api.alive()).toBe(true);
  });
});
