import fc from 'fast-check';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskerError } from '../../src/errors';
import { parseTaskDefinitionYaml } from '../../src/registry/yaml';
import { http, type HttpResult } from './support/api-client';
import { createStressDatabase, type StressDatabase } from './support/database';
import { byMode } from './support/mode';
import { startApi, type ApiProcess } from './support/processes';
import { ScenarioReport } from './support/results';
import { adminToken, rsaKeyPair } from './support/tokens';

const RUNS = byMode(400, 80);
/** Fixed per run and reported, so a failure can be replayed (STRESS_SEED=<seed>). */
const SEED = Number(process.env.STRESS_SEED ?? Date.now() % 2 ** 31);

const anyString = fc.string({ unit: 'binary', maxLength: 60 });
const anyJson = fc.jsonValue({ stringUnit: 'binary', maxDepth: 6 });
const SQL_INJECTIONS = [
  "'; DROP TABLE tasker_tasks; --",
  'task_id DESC; DELETE FROM tasker_tasks',
  "' OR '1'='1",
];
const hostile = fc.oneof(
  anyString,
  fc.constantFrom(...SQL_INJECTIONS),
  fc.integer().map(String),
  fc.double().map(String),
);
const anything = fc.oneof(anyJson, anyString, fc.constantFrom(...SQL_INJECTIONS));

function sample<T>(arbitrary: fc.Arbitrary<T>, runs = RUNS): T[] {
  return fc.sample(arbitrary, { numRuns: runs, seed: SEED });
}

function nested(depth: number, open: string, close: string, inner = '1'): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

/** Sends bad input and tallies answers: a 5xx, a 4xx without a message, or a hidden internal error is a violation. */
class Probe {
  requests = 0;
  readonly statuses: Record<string, number> = {};
  readonly violations: string[] = [];
  slowestMs = 0;

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  async send(
    label: string,
    method: string,
    path: string,
    body?: string | object,
    headers: Record<string, string> = {},
  ): Promise<HttpResult | undefined> {
    const started = Date.now();
    let res: HttpResult;
    try {
      res = await http(method, `${this.baseUrl}${path}`, {
        token: this.token,
        body,
        headers,
        timeoutMs: 60_000,
      });
    } catch (error) {
      this.violations.push(`${label}: no answer (${(error as Error).message})`);
      return undefined;
    } finally {
      this.requests += 1;
      this.slowestMs = Math.max(this.slowestMs, Date.now() - started);
    }
    const bucket = `${Math.floor(res.status / 100)}xx`;
    this.statuses[bucket] = (this.statuses[bucket] ?? 0) + 1;
    const problem = this.problemWith(res);
    if (problem) this.violations.push(`${label}: ${problem} → ${res.status} ${res.text.slice(0, 300)}`);
    return res;
  }

  private problemWith(res: HttpResult): string | undefined {
    if (res.status >= 500) return 'server error';
    const json = res.json as
      | {
          error?: unknown;
          message?: unknown;
          errors?: { message?: unknown; extensions?: { code?: string } }[];
        }
      | undefined;
    const graphQLErrors = json?.errors ?? [];
    if (graphQLErrors.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR'))
      return 'internal error inside a GraphQL answer';
    if (res.status < 400) return undefined;
    if (!res.contentType.startsWith('application/json')) return 'a 4xx that is not JSON';
    const restMessage =
      typeof json?.error === 'string' && typeof json.message === 'string' && json.message !== '';
    const graphQLMessage =
      graphQLErrors.length > 0 &&
      graphQLErrors.every((e) => typeof e.message === 'string' && e.message !== '');
    return restMessage || graphQLMessage ? undefined : 'a 4xx without a message';
  }

  figures() {
    return {
      requests: this.requests,
      statuses: this.statuses,
      violations: this.violations.length,
      slowestMs: this.slowestMs,
    };
  }
}

describe('bad input against the API process', () => {
  const report = new ScenarioReport('bad-input');
  const keys = rsaKeyPair();
  let db: StressDatabase;
  let api: ApiProcess;
  let probe: Probe;
  let taskId: number;
  let stepId: number;

  beforeAll(async () => {
    db = await createStressDatabase('badinput');
    api = await startApi(db.url, keys.publicKey);
    probe = new Probe(api.baseUrl, adminToken(keys));
    const created = await http('POST', `${api.baseUrl}/tasks`, {
      token: adminToken(keys),
      body: { task: { name: 'diamond', namespace: 'stress', context: {} } },
    });
    const task = (
      created.json as { task: { task_id: number; workflow_steps: { workflow_step_id: number }[] } }
    ).task;
    taskId = task.task_id;
    stepId = task.workflow_steps[1].workflow_step_id;
    report.set('seed', SEED);
  });
  afterAll(async () => {
    report.set('rest+graphql', probe?.figures() ?? null);
    report.set('violationExamples', probe?.violations.slice(0, 30).map((v) => v.slice(0, 400)) ?? []);
    report.set(
      'apiErrorExamples',
      api
        ? api
            .output()
            .split('\n')
            .filter((l) => /"level":50|Request failed/.test(l))
            .slice(0, 3)
            .map((l) => l.slice(0, 600))
        : [],
    );
    const apiErrors = (api?.output() ?? '').split('\n').filter((l) => /"level":(50|60)/.test(l));
    report.set(
      'apiErrorExamples',
      apiErrors.slice(0, 3).map((l) => l.slice(0, 800)),
    );
    report.set(
      'apiErrorsLogged',
      api
        ? api
            .output()
            .split('\n')
            .filter((l) => /"level":50|Request failed/.test(l)).length
        : null,
    );
    report.write();
    await api?.stop();
    await db?.drop();
  });

  it('answers fuzzed REST bodies with a 2xx or a JSON 4xx', async () => {
    const mark = probe.violations.length;
    for (const body of sample(anyJson))
      await probe.send(`POST /tasks ${JSON.stringify(body)}`, 'POST', '/tasks', JSON.stringify(body));
    const task = fc.record(
      {
        name: fc.oneof(fc.constantFrom('linear', 'fan_out'), anything),
        namespace: fc.oneof(fc.constant('stress'), anything),
        version: fc.oneof(fc.constantFrom('0.1.0', 'latest', '1.0.0'), anything),
        context: fc.oneof(fc.dictionary(anyString, anyJson), anything),
        initiator: anything,
        source_system: anything,
        reason: anything,
        tags: fc.oneof(fc.array(anyString, { maxLength: 5 }), anything),
        bypass_steps: fc.oneof(fc.array(fc.constantFrom('a', 'b', 'nope')), anything),
      },
      { requiredKeys: [] },
    );
    for (const t of sample(task))
      await probe.send(`POST /tasks ${JSON.stringify(t)}`, 'POST', '/tasks', { task: t });
    const taskPatch = fc.oneof(
      anyJson,
      fc.record({ task: fc.record({ reason: anything, tags: anything }, { requiredKeys: [] }) }),
    );
    const stepPatch = fc.oneof(
      anyJson,
      fc.record({
        workflow_step: fc.record(
          { retry_limit: fc.oneof(fc.integer(), anything), inputs: anything },
          { requiredKeys: [] },
        ),
      }),
    );
    for (const [verb, forTask, forStep, results] of sample(
      fc.tuple(
        fc.constantFrom('PATCH', 'PUT'),
        taskPatch,
        stepPatch,
        fc.oneof(anyJson, fc.record({ results: anyJson })),
      ),
    )) {
      await probe.send(
        `${verb} /tasks/:id ${JSON.stringify(forTask)}`,
        verb,
        `/tasks/${taskId}`,
        JSON.stringify(forTask),
      );
      await probe.send(
        `${verb} step ${JSON.stringify(forStep)}`,
        verb,
        `/tasks/${taskId}/workflow_steps/${stepId}`,
        JSON.stringify(forStep),
      );
      await probe.send(
        `resolve ${JSON.stringify(results)}`,
        'POST',
        `/tasks/${taskId}/workflow_steps/${stepId}/resolve`,
        JSON.stringify(results),
      );
    }
    expect(probe.violations.slice(mark)).toEqual([]);
  });

  it('answers fuzzed query strings and path segments without a 5xx', async () => {
    const mark = probe.violations.length;
    const params = fc.dictionary(
      fc.constantFrom(
        'limit',
        'offset',
        'sort_by',
        'sort_order',
        'status',
        'namespace',
        'name',
        'version',
        'include_dependencies',
      ),
      fc.oneof(hostile, fc.array(hostile, { minLength: 2, maxLength: 3 })),
    );
    for (const [query, raw] of sample(fc.tuple(params, anyString))) {
      const encoded = Object.entries(query)
        .flatMap(([key, value]) =>
          (Array.isArray(value) ? value : [value]).map((v) => `${key}=${encodeURIComponent(v)}`),
        )
        .join('&');
      await probe.send(`GET /tasks?${encoded}`, 'GET', `/tasks?${encoded}`);
      await probe.send(`GET /tasks/:id?${encoded}`, 'GET', `/tasks/${taskId}?${encoded}`);
      await probe.send(`GET /analytics/bottlenecks?${encoded}`, 'GET', `/analytics/bottlenecks?${encoded}`);
      await probe.send(`GET /tasks?raw ${raw}`, 'GET', `/tasks?${encodeURI(raw).replace(/#/g, '%23')}`);
    }
    // `.` and `..` segments are resolved by the client and leave Tasker's routes altogether.
    const segment = fc.oneof(
      anyString.map(encodeURIComponent).filter((s) => s !== '.' && s !== '..'),
      fc.constantFrom('%', '%zz', '%E0%A4%A', '%00', '0', '-1', '1e3', '99999999999999999999', ' 1', 'NaN'),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
    );
    const routes: [string, (a: string, b: string) => string][] = [
      ['GET', (a) => `/tasks/${a}`],
      ['PATCH', (a) => `/tasks/${a}`],
      ['DELETE', (a) => `/tasks/${a}`],
      ['POST', (a) => `/tasks/${a}/retry`],
      ['GET', (a) => `/tasks/${a}/diagram`],
      ['GET', (a) => `/tasks/${a}/workflow_steps`],
      ['GET', (a, b) => `/tasks/${a}/workflow_steps/${b}`],
      ['PUT', (a, b) => `/tasks/${a}/workflow_steps/${b}`],
      ['DELETE', (a, b) => `/tasks/${a}/workflow_steps/${b}`],
      ['POST', (a, b) => `/tasks/${a}/workflow_steps/${b}/resolve`],
      ['GET', (a) => `/handlers/${a}`],
      ['GET', (a, b) => `/handlers/${a}/${b}`],
    ];
    for (const [[method, build], a, b] of sample(fc.tuple(fc.constantFrom(...routes), segment, segment))) {
      const path = build(a, b);
      await probe.send(`${method} ${path}`, method, path);
    }
    expect(probe.violations.slice(mark)).toEqual([]);
  });

  it('answers malformed JSON, 10 MB bodies and deeply nested JSON with a JSON 4xx', async () => {
    const mark = probe.violations.length;
    const valid = JSON.stringify({
      task: { name: 'linear', namespace: 'stress', context: { a: [1, 2, { b: 'c' }] } },
    });
    const malformed = fc.oneof(
      anyString,
      fc.nat({ max: valid.length - 1 }).map((cut) => valid.slice(0, cut)),
      fc
        .tuple(fc.nat({ max: valid.length - 1 }), fc.string({ minLength: 1, maxLength: 3 }))
        .map(([at, junk]) => `${valid.slice(0, at)}${junk}${valid.slice(at)}`),
      fc.constantFrom(
        '{',
        '{"task":',
        'nul',
        '[1,]',
        '{"a":1,}',
        "{'a':1}",
        '\u0000',
        '\ufeff{}',
        '{"a":NaN}',
        '1e999999',
      ),
    );
    const types = fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-16',
    );
    for (const [raw, type] of sample(fc.tuple(malformed, types))) {
      await probe.send(`POST /tasks (${type}) ${raw.slice(0, 80)}`, 'POST', '/tasks', raw, {
        'content-type': type,
      });
      await probe.send(`POST /graphql (${type}) ${raw.slice(0, 80)}`, 'POST', '/graphql', raw, {
        'content-type': type,
      });
    }
    const tenMb = 'x'.repeat(10 * 1024 * 1024);
    const huge = [
      [
        'POST',
        '/tasks',
        JSON.stringify({ task: { name: 'linear', namespace: 'stress', context: { blob: tenMb } } }),
      ],
      ['PATCH', `/tasks/${taskId}`, JSON.stringify({ task: { reason: tenMb } })],
      [
        'POST',
        `/tasks/${taskId}/workflow_steps/${stepId}/resolve`,
        JSON.stringify({ results: { blob: tenMb } }),
      ],
      ['POST', '/graphql', JSON.stringify({ query: `{ tasks { taskId } } # ${tenMb}` })],
      ['POST', '/tasks', `[${'1,'.repeat(5 * 1024 * 1024)}1]`],
    ] as const;
    const hugeStatuses: number[] = [];
    for (const [method, path, body] of huge) {
      const res = await probe.send(`${method} ${path} 10 MB`, method, path, body);
      if (res) hugeStatuses.push(res.status);
    }
    report.set('tenMegabyteBodyStatuses', hugeStatuses);
    const deepStatuses: Record<string, number> = {};
    for (const depth of [1_000, 10_000, 100_000, 400_000]) {
      for (const [kind, deep] of [
        ['array', nested(depth, '[', ']')],
        ['object', nested(depth, '{"a":', '}')],
      ] as const) {
        const bodies: [string, string, string][] = [
          ['POST', '/tasks', deep],
          ['POST', '/tasks', `{"task":{"name":"linear","namespace":"stress","context":{"deep":${deep}}}}`],
          [
            'PATCH',
            `/tasks/${taskId}/workflow_steps/${stepId}`,
            `{"workflow_step":{"inputs":{"deep":${deep}}}}`,
          ],
          ['POST', `/tasks/${taskId}/workflow_steps/${stepId}/resolve`, `{"results":${deep}}`],
          [
            'POST',
            '/graphql',
            `{"query":"mutation ($i: CreateTaskInput!) { createTask(input: $i) { taskId } }","variables":{"i":{"name":"linear","namespace":"stress","context":{"d":${deep}}}}}`,
          ],
        ];
        for (const [method, path, body] of bodies) {
          const res = await probe.send(`${method} ${path} ${kind} nested ${depth}`, method, path, body);
          if (res) deepStatuses[`${kind}${depth} ${method} ${path.replace(/\d+/g, ':id')}`] = res.status;
        }
      }
    }
    report.set('deepNestingStatuses', deepStatuses);
    expect(
      hugeStatuses.every((status) => status === 413),
      JSON.stringify(hugeStatuses),
    ).toBe(true);
    expect(probe.violations.slice(mark)).toEqual([]);
  });

  it('answers fuzzed GraphQL variables, huge queries and alias floods without a 5xx', async () => {
    const mark = probe.violations.length;
    const createInput = fc.record(
      {
        name: fc.oneof(fc.constantFrom('linear', 'diamond'), anything),
        namespace: fc.oneof(fc.constant('stress'), anything),
        version: anything,
        context: anything,
        tags: anything,
        bypassSteps: anything,
        initiator: anything,
      },
      { requiredKeys: [] },
    );
    const operations = [
      'mutation ($v: CreateTaskInput!) { createTask(input: $v) { taskId status } }',
      'mutation ($v: UpdateTaskInput!) { updateTask(input: $v) { taskId } }',
      'mutation ($v: UpdateStepInput!) { updateStep(input: $v) { name } }',
      'mutation ($v: ResolveStepInput!) { resolveStep(input: $v) { name } }',
      'mutation ($v: CancelTaskInput!) { cancelTask(input: $v) { taskId } }',
      'query ($v: ID!) { task(taskId: $v) { taskId workflowSteps { name } } }',
      'query ($v: Int!) { tasks(limit: $v, offset: $v) { taskId } }',
      'query ($v: String!) { tasks(sortBy: $v, sortOrder: $v, status: $v) { taskId } }',
      'query ($v: Float!) { analyticsPerformance(periodHours: $v) { __typename } bottlenecks(periodHours: $v) { __typename } }',
    ];
    const variables = fc.oneof(
      createInput,
      fc.record(
        {
          taskId: fc.oneof(fc.constant(String(taskId)), anything),
          stepId: anything,
          retryLimit: anything,
          inputs: anything,
          results: anything,
          reason: anything,
          tags: anything,
        },
        { requiredKeys: [] },
      ),
      anything,
    );
    for (const [query, v] of sample(fc.tuple(fc.constantFrom(...operations), variables))) {
      await probe.send(`GraphQL ${query} v=${JSON.stringify(v)}`, 'POST', '/graphql', {
        query,
        variables: { v },
      });
    }
    for (const raw of sample(
      fc.oneof(
        anyString,
        fc.string({ maxLength: 200 }).map((s) => `{ tasks { ${s} } }`),
      ),
    )) {
      await probe.send(`GraphQL raw ${raw.slice(0, 80)}`, 'POST', '/graphql', { query: raw });
      await probe.send(`GraphQL GET ${raw.slice(0, 80)}`, 'GET', `/graphql?query=${encodeURIComponent(raw)}`);
    }
    const aliases = (n: number, selection: string) =>
      `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${selection}`).join(' ')} }`;
    const deepSelection = (depth: number) =>
      `{ tasks { ${'workflowSteps { parents { '.repeat(depth)}name${' } }'.repeat(depth)} } }`;
    const fragments = (n: number) =>
      `query { tasks { ...F0 } } ${Array.from({ length: n }, (_, i) => `fragment F${i} on Task { taskId ${i + 1 < n ? `...F${i + 1}` : ''} }`).join(' ')}`;
    const big: [string, object][] = [
      ['10,000 aliases of tasks(limit: 100)', { query: aliases(10_000, 'tasks(limit: 100) { taskId }') }],
      ['50,000 aliases of __typename', { query: aliases(50_000, '__typename') }],
      ['2,000 aliases of healthStatus', { query: aliases(2_000, 'healthStatus { __typename }') }],
      ['nesting 200 levels', { query: deepSelection(200) }],
      ['nesting 5,000 levels', { query: deepSelection(5_000) }],
      ['a chain of 3,000 fragments', { query: fragments(3_000) }],
      [
        'a fragment cycle',
        { query: 'query { tasks { ...A } } fragment A on Task { ...B } fragment B on Task { ...A }' },
      ],
      [
        '20,000 variables',
        {
          query: `query (${Array.from({ length: 20_000 }, (_, i) => `$v${i}: Int`).join(', ')}) { __typename }`,
        },
      ],
      ['a 900 KB string argument', { query: `{ handler(name: "${'n'.repeat(900_000)}") { name } }` }],
      [
        '500 operations, none chosen',
        { query: Array.from({ length: 500 }, (_, i) => `query Q${i} { __typename }`).join(' ') },
      ],
      [
        'a batch of 1,000 operations',
        Array.from({ length: 1_000 }, () => ({ query: '{ tasks(limit: 100) { taskId } }' })),
      ],
      [
        'introspection',
        {
          query:
            '{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }',
        },
      ],
    ];
    const bigStatuses: Record<string, number> = {};
    for (const [label, body] of big) {
      const res = await probe.send(`GraphQL ${label}`, 'POST', '/graphql', body);
      if (res) bigStatuses[label] = res.status;
    }
    report.set('hugeGraphQLStatuses', bigStatuses);
    expect(probe.violations.slice(mark)).toEqual([]);
  });

  it('keeps the API process alive and serving', async () => {
    const live = await http('GET', `${api.baseUrl}/health/live`);
    const list = await http('GET', `${api.baseUrl}/tasks?limit=1`, { token: adminToken(keys) });
    const { rows } = await db.pool.query<{ table: string | null }>(
      `SELECT to_regclass('public.tasker_tasks')::text AS table`,
    );
    report.set('apiAliveAfterwards', api.alive());
    expect(api.alive()).toBe(true);
    expect(live.status).toBe(200);
    expect(list.status).toBe(200);
    expect(rows[0].table).toBe('tasker_tasks');
  });

  it('parses fuzzed YAML definitions into a definition or a DefinitionError, never a crash', () => {
    const validYaml = stringify({
      name: 'fuzzed',
      namespace_name: 'yaml',
      version: '1.0.0',
      schema: { type: 'object', properties: { id: { type: 'integer' } } },
      step_templates: [
        {
          name: 'a',
          handler_class: 'Work',
          default_retry_limit: 3,
          handler_config: { url: '${API_URL:-http://x}' },
        },
        { name: 'b', handler_class: 'Work', depends_on_step: 'a', timeout_seconds: 5 },
        { name: 'c', handler_class: 'Work', depends_on_steps: ['a', 'b'], skippable: true },
      ],
      environments: { test: { step_templates: [{ name: 'b', default_retry_limit: 9 }] } },
    });
    const keys = fc.constantFrom(
      'name',
      'namespace_name',
      'version',
      'description',
      'default_dependent_system',
      'schema',
      'step_templates',
      'environments',
      'custom_events',
      'named_steps',
      'handler_class',
      'depends_on_step',
      'depends_on_steps',
      'default_retry_limit',
      'default_retryable',
      'skippable',
      'timeout_seconds',
      'handler_config',
      '<<',
      '__proto__',
    );
    const yamlValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        anything,
        fc.constantFrom(
          '${HOME}',
          '${UNSET_VARIABLE_X}',
          '$${LITERAL}',
          '${A:-${B}}',
          '~',
          '.inf',
          '0x1F',
          '2001-12-14t21:59:43.10-05:00',
          'yes',
          'null',
        ),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(keys, anyString), tie('value'), { maxKeys: 5 }),
      ),
    })).value;
    const documents = fc.oneof(
      anyString,
      fc.string({ unit: 'grapheme', maxLength: 300 }),
      fc.dictionary(keys, yamlValue, { maxKeys: 8 }).map((doc) => stringify(doc)),
      fc
        .tuple(
          fc.nat({ max: validYaml.length }),
          fc.constantFrom(
            ':',
            '-',
            '  ',
            '\t',
            '&a',
            '*a',
            '!!binary',
            '{',
            '[',
            '"',
            "'",
            '\n',
            '#',
            '%YAML 1.1\n---\n',
            '? ',
            '|',
            '>',
          ),
        )
        .map(([at, junk]) => `${validYaml.slice(0, at)}${junk}${validYaml.slice(at)}`),
    );
    const special = [
      `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nname: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`,
      `name: ${nested(20_000, '[', ']')}\n`,
      `name: x\nstep_templates: ${nested(5_000, '{a: ', '}')}\n`,
      `${validYaml}\n---\n${validYaml}`,
      `name: &x {a: *x}\n`,
      `!!js/function 'function(){}'\n`,
      'x'.repeat(5_000_000),
      `name: "${'\\u0000'.repeat(10)}"\nnamespace_name: y\nversion: 1.0.0\nstep_templates: []\n`,
    ];
    report.set('yamlCrashExamples', []);
    let parsed = 0;
    let refused = 0;
    let slowestMs = 0;
    const crashes: string[] = [];
    for (const text of [...sample(documents, RUNS * 5), ...special]) {
      const started = Date.now();
      try {
        parseTaskDefinitionYaml(text, { env: { HOME: '/home/x', API_URL: 'http://api' }, nodeEnv: 'test' });
        parsed += 1;
      } catch (error) {
        if (error instanceof TaskerError && error.message.length > 0) refused += 1;
        else
          crashes.push(
            `${(error as Error)?.constructor?.name}: ${(error as Error)?.message} ← ${JSON.stringify(text.slice(0, 200))}`,
          );
      }
      slowestMs = Math.max(slowestMs, Date.now() - started);
    }
    report.set('yamlCrashExamples', crashes.slice(0, 10));
    report.set('yaml', {
      documents: parsed + refused + crashes.length,
      parsed,
      refusedWithDefinitionError: refused,
      crashes: crashes.length,
      slowestMs,
    });
    expect(crashes).toEqual([]);
    expect(slowestMs, 'no document takes more than 2 s to refuse').toBeLessThan(2_000);
  });
});
