import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createClient, type Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import type { TransitionEvent } from '../../src/events/transition-event';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { STEP_TRANSITION_EVENTS, TASK_TRANSITION_EVENTS, transitionEventName } from '../../src/state/states';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { authenticated, expiredToken, hostApp, testRouter, token } from '../support/http-app';
import { startWorkerProcess, type WorkerProcess } from '../support/worker-process';

/** The same definition as the worker fixture (test/fixtures/workers/config.cjs): a → (b, c) → d. */
const shared = defineTask({
  name: 'shared',
  namespaceName: 'multi',
  stepTemplates: [
    { name: 'a', handlerClass: 'Work' },
    { name: 'b', handlerClass: 'Work', dependsOnStep: 'a' },
    { name: 'c', handlerClass: 'Work', dependsOnStep: 'a' },
    { name: 'd', handlerClass: 'Work', dependsOnSteps: ['b', 'c'] },
  ],
});
/** A namespace no worker serves: its tasks only ever get their first transition. */
const lonely = defineTask({
  name: 'lonely',
  namespaceName: 'other',
  stepTemplates: [{ name: 'only', handlerClass: 'Work' }],
});

const EVENT_FIELDS =
  'event taskId stepId stepName fromState toState occurredAt task { taskId status } step { workflowStepId name status }';
const TASK_UPDATED = `subscription ($id: ID!) { taskUpdated(taskId: $id) { ${EVENT_FIELDS} } }`;
const STEP_UPDATED = `subscription ($id: ID!) { stepUpdated(taskId: $id) { ${EVENT_FIELDS} } }`;
const TASK_EVENTS = `subscription ($ns: String!) { taskEvents(namespace: $ns) { ${EVENT_FIELDS} } }`;

interface TaskEventJson {
  event: string;
  taskId: string;
  stepId: string | null;
  stepName: string | null;
  fromState: string | null;
  toState: string;
  occurredAt: string;
  task: { taskId: string; status: string } | null;
  step: { workflowStepId: string; name: string; status: string } | null;
}

interface ResultJson {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** The results of one operation on a graphql-ws client, and how it ended. */
interface Feed {
  results: ResultJson[];
  events(): TaskEventJson[];
  /** Resolves when the server completes the operation or it fails (errors array or close event). */
  ended: Promise<{ error?: unknown }>;
  until(predicate: (events: TaskEventJson[]) => boolean): Promise<void>;
}

function feed(client: Client, query: string, variables: Record<string, unknown> = {}): Feed {
  const results: ResultJson[] = [];
  let end: (outcome: { error?: unknown }) => void = () => undefined;
  const ended = new Promise<{ error?: unknown }>((resolve) => (end = resolve));
  client.subscribe(
    { query, variables },
    {
      next: (result) => results.push(result as ResultJson),
      error: (error) => end({ error }),
      complete: () => end({}),
    },
  );
  const events = () =>
    results.flatMap((result) => Object.values(result.data ?? {}) as TaskEventJson[]).filter(Boolean);
  return {
    results,
    events,
    ended,
    until: (predicate) =>
      vi.waitFor(() => expect(predicate(events())).toBe(true), { timeout: 60_000, interval: 20 }),
  };
}

/** `entity:from→to@time` of an event or a transition row, entity being the step name or `task`. */
function signature(entity: string | null, from: string | null, to: string, at: string): string {
  return `${entity ?? 'task'}:${from}→${to}@${at}`;
}

interface TransitionRow {
  key: string;
  stepId: string | null;
  stepName: string | null;
  fromState: string | null;
  toState: string;
  sortKey: number;
  createdAt: Date;
}

describe('GraphQL subscriptions over graphql-ws', () => {
  let db: TestDatabase;
  let router: TaskerRouter;
  let server: http.Server;
  let url: string;
  let worker: WorkerProcess | undefined;
  let onTransition: MockInstance<TaskerRouter['engine']['onTransition']>;
  /** Every transition this (API) process has been told about, in delivery order. */
  const seen: TransitionEvent[] = [];
  const clients: Client[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.pool.query(
      'CREATE TABLE handler_runs (pid int NOT NULL, task_id bigint NOT NULL, step_name text NOT NULL, attempt int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())',
    );
    let app: express.Express;
    ({ app, router } = hostApp(db, { tasks: [shared, lonely], auth: authenticated }));
    await router.ready();
    await router.engine.onTransition((event) => seen.push(event));
    onTransition = vi.spyOn(router.engine, 'onTransition');
    server = http.createServer(app);
    router.attach(server, { path: '/tasker/graphql' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/tasker/graphql`;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.dispose()));
  });
  afterAll(async () => {
    await worker?.stop();
    await router.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.drop();
  });

  function connect(
    connectionParams: Record<string, unknown> | undefined,
    on: { closed?: (code: number) => void; connected?: () => void } = {},
    lazy = true,
  ): Client {
    const client = createClient({
      url,
      webSocketImpl: WebSocket,
      connectionParams,
      lazy,
      retryAttempts: 0,
      on: {
        closed: (event) => on.closed?.((event as { code: number }).code),
        connected: () => on.connected?.(),
      },
    });
    clients.push(client);
    return client;
  }

  const bearer = (claims: Record<string, unknown>) => ({ authorization: `Bearer ${token(claims)}` });

  /** Waits until the server has registered `count` more transition listeners than `before`. */
  async function listening(before: number, count: number): Promise<void> {
    await vi.waitFor(() => expect(onTransition.mock.calls.length).toBe(before + count), { timeout: 10_000 });
    await Promise.all(onTransition.mock.results.map((result) => result.value));
  }

  async function deliveredToThisProcess(predicate: (event: TransitionEvent) => boolean): Promise<void> {
    await vi.waitFor(() => expect(seen.some(predicate)).toBe(true), { timeout: 60_000, interval: 20 });
  }

  /** Every transition row of a task and its steps, in (created_at, sort_key) order. */
  async function transitionRows(taskId: number): Promise<TransitionRow[]> {
    const { rows } = await db.pool.query<TransitionRow>(
      `SELECT 'task:' || t.id AS key, NULL AS "stepId", NULL AS "stepName", t.from_state AS "fromState",
              t.to_state AS "toState", t.sort_key AS "sortKey", t.created_at AS "createdAt"
         FROM tasker_task_transitions t WHERE t.task_id = $1
       UNION ALL
       SELECT 'step:' || st.id, ws.workflow_step_id::text, ns.name, st.from_state, st.to_state, st.sort_key,
              st.created_at
         FROM tasker_workflow_step_transitions st
         JOIN tasker_workflow_steps ws ON ws.workflow_step_id = st.workflow_step_id
         JOIN tasker_named_steps ns ON ns.named_step_id = ws.named_step_id
        WHERE ws.task_id = $1
        ORDER BY "createdAt", "sortKey"`,
      [taskId],
    );
    return rows;
  }

  const rowSignature = (row: TransitionRow) =>
    signature(row.stepName, row.fromState, row.toState, row.createdAt.toISOString());
  const eventSignature = (event: TaskEventJson) =>
    signature(event.stepName, event.fromState, event.toState, event.occurredAt);

  /** Same transitions (nothing missing, nothing extra, no duplicates) and, per task or step, in sort_key order. */
  function expectSameTransitions(events: TaskEventJson[], rows: TransitionRow[]): void {
    expect(events.map(eventSignature).sort()).toEqual(rows.map(rowSignature).sort());
    const entities = new Set(rows.map((row) => row.stepName ?? 'task'));
    for (const entity of entities) {
      const received = events.filter((event) => (event.stepName ?? 'task') === entity).map(eventSignature);
      const committed = rows
        .filter((row) => (row.stepName ?? 'task') === entity)
        .sort((x, y) => x.sortKey - y.sortKey)
        .map(rowSignature);
      expect(received, `order of ${entity}`).toEqual(committed);
    }
  }

  async function ensureWorker(): Promise<void> {
    worker ??= await startWorkerProcess(db.url);
  }

  it(
    'taskUpdated carries every task and step transition a separate worker process commits, in commit ' +
      'order and nothing of other tasks; stepUpdated only the step transitions',
    async () => {
      const task = await router.engine.createTask({
        name: 'shared',
        namespace: 'multi',
        context: { run: 1 },
      });
      const other = await router.engine.createTask({
        name: 'shared',
        namespace: 'multi',
        context: { run: 2 },
      });
      // The creation events have reached this process, so a subscription opened now cannot see them.
      await deliveredToThisProcess((event) => event.taskId === other.taskId);
      const client = connect(bearer({ permissions: ['tasker.task:show'] }));
      const before = onTransition.mock.calls.length;
      const updates = feed(client, TASK_UPDATED, { id: String(task.taskId) });
      const steps = feed(client, STEP_UPDATED, { id: String(task.taskId) });
      await listening(before, 2);
      const existing = new Set((await transitionRows(task.taskId)).map((row) => row.key));

      await ensureWorker();
      for (const id of [task.taskId, other.taskId]) {
        expect((await router.engine.runUntilSettled(id, { timeoutMs: 60_000 })).status).toBe('complete');
      }
      await updates.until((events) => events.some((e) => e.event === 'task.completed'));
      await deliveredToThisProcess((e) => e.taskId === other.taskId && e.event === 'task.completed');
      await steps.until((events) => events.filter((e) => e.event === 'step.completed').length === 4);

      const committed = (await transitionRows(task.taskId)).filter((row) => !existing.has(row.key));
      const received = updates.events();
      expect(committed.length).toBeGreaterThanOrEqual(9);
      expectSameTransitions(received, committed);
      expect(received.every((event) => event.taskId === String(task.taskId))).toBe(true);
      for (const event of received) {
        const table = event.stepId === null ? TASK_TRANSITION_EVENTS : STEP_TRANSITION_EVENTS;
        expect(event.event).toBe(transitionEventName(table, event.fromState, event.toState));
        expect(event.task?.taskId).toBe(String(task.taskId));
        if (event.stepId !== null) {
          expect(event.step).toMatchObject({ workflowStepId: event.stepId, name: event.stepName });
        } else {
          expect(event.step).toBeNull();
        }
      }
      // Causal order across entities: a step starts only after its parents completed, the task
      // completes last.
      const at = (signatureStart: string) =>
        received.findIndex((event) => eventSignature(event).startsWith(signatureStart));
      expect(at('a:in_progress→complete')).toBeLessThan(at('b:pending→in_progress'));
      expect(at('a:in_progress→complete')).toBeLessThan(at('c:pending→in_progress'));
      expect(at('b:in_progress→complete')).toBeLessThan(at('d:pending→in_progress'));
      expect(at('c:in_progress→complete')).toBeLessThan(at('d:pending→in_progress'));
      expect(at('task:in_progress→complete')).toBe(received.length - 1);
      expect(received.at(-1)?.task?.status).toBe('complete');

      const stepEvents = steps.events();
      expect(stepEvents.every((event) => event.stepId !== null)).toBe(true);
      expectSameTransitions(
        stepEvents,
        committed.filter((row) => row.stepId !== null),
      );
    },
    120_000,
  );

  it('taskEvents carries the task transitions of every task in its namespace, and nothing else', async () => {
    await ensureWorker();
    const client = connect(bearer({ permissions: ['tasker.task:index'] }));
    const before = onTransition.mock.calls.length;
    const multi = feed(client, TASK_EVENTS, { ns: 'multi' });
    await listening(before, 1);

    const tasks = await Promise.all(
      [3, 4, 5].map((run) =>
        router.engine.createTask({ name: 'shared', namespace: 'multi', context: { run } }),
      ),
    );
    const elsewhere = await router.engine.createTask({ name: 'lonely', namespace: 'other', context: {} });
    for (const task of tasks) {
      expect((await router.engine.runUntilSettled(task.taskId, { timeoutMs: 60_000 })).status).toBe(
        'complete',
      );
    }
    await multi.until(
      (events) => events.filter((event) => event.event === 'task.completed').length === tasks.length,
    );
    await deliveredToThisProcess((event) => event.taskId === elsewhere.taskId);

    const received = multi.events();
    expect(received.every((event) => event.stepId === null && event.step === null)).toBe(true);
    expect(new Set(received.map((event) => event.taskId))).toEqual(
      new Set(tasks.map((task) => String(task.taskId))),
    );
    for (const task of tasks) {
      const rows = (await transitionRows(task.taskId)).filter((row) => row.stepId === null);
      expect(rows.map((row) => row.toState)).toEqual(['pending', 'in_progress', 'complete']);
      expectSameTransitions(
        received.filter((event) => event.taskId === String(task.taskId)),
        rows,
      );
    }
  }, 120_000);

  /** How the server ended a connection attempt (its close code). */
  async function closeCode(connectionParams: Record<string, unknown> | undefined): Promise<number> {
    const client = connect(connectionParams);
    const { error } = await feed(client, '{ __typename }').ended;
    return (error as { code: number }).code;
  }

  it('closes the socket with 4403 for a forged, expired, malformed or missing token', async () => {
    const forged = token({ admin: true }, 'not-the-secret-but-also-at-least-32-bytes-long');
    expect(await closeCode({ authorization: `Bearer ${forged}` })).toBe(4403);
    expect(await closeCode({ authorization: `Bearer ${expiredToken({ admin: true })}` })).toBe(4403);
    expect(await closeCode({ authorization: 42 })).toBe(4403);
    expect(await closeCode({})).toBe(4403);
    expect(await closeCode(undefined)).toBe(4403);
  });

  it("accepts the token in the upgrade request's Authorization header and runs operations as that principal", async () => {
    const headers = { authorization: `Bearer ${token({ permissions: ['tasker.task:show'] })}` };
    class WebSocketWithHeaders extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    }
    const client = createClient({ url, webSocketImpl: WebSocketWithHeaders, retryAttempts: 0 });
    clients.push(client);
    const task = await router.engine.createTask({ name: 'lonely', namespace: 'other', context: {} });
    const query = feed(client, 'query ($id: ID!) { task(taskId: $id) { taskId status } }', {
      id: String(task.taskId),
    });
    expect(await query.ended).toEqual({});
    expect(query.results).toEqual([{ data: { task: { taskId: String(task.taskId), status: 'pending' } } }]);
  });

  it('fails a subscription without its permission with FORBIDDEN, and the socket stays usable', async () => {
    const closes: number[] = [];
    let connections = 0;
    // Not lazy: the socket stays open between operations instead of closing when none is active.
    const client = connect(
      bearer({ permissions: ['tasker.task:index'] }),
      { closed: (code) => closes.push(code), connected: () => (connections += 1) },
      false,
    );
    const before = onTransition.mock.calls.length;
    const allowed = feed(client, TASK_EVENTS, { ns: 'other' });
    await listening(before, 1);
    for (const [query, variables] of [
      [TASK_UPDATED, { id: '1' }],
      [STEP_UPDATED, { id: '1' }],
    ] as const) {
      const denied = feed(client, query, variables);
      expect(await denied.ended).toEqual({});
      expect(denied.results).toHaveLength(1);
      expect(denied.results[0].data ?? null).toBeNull();
      expect(denied.results[0].errors?.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    }

    const task = await router.engine.createTask({ name: 'lonely', namespace: 'other', context: {} });
    await allowed.until((events) => events.some((event) => event.taskId === String(task.taskId)));
    expect(allowed.events()).toEqual([
      expect.objectContaining({
        event: 'task.initialize_requested',
        taskId: String(task.taskId),
        fromState: null,
        toState: 'pending',
        task: { taskId: String(task.taskId), status: 'pending' },
      }),
    ]);
    expect(connections).toBe(1);
    expect(closes).toEqual([]);
  });

  it('answers NOT_FOUND for an unknown task, BAD_USER_INPUT for a bad id, and applies the operation limits', async () => {
    const client = connect(bearer({ admin: true }));
    const unknown = feed(client, TASK_UPDATED, { id: '999999' });
    expect(await unknown.ended).toEqual({});
    expect(unknown.results[0].errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const bad = feed(client, STEP_UPDATED, { id: 'abc' });
    expect(await bad.ended).toEqual({});
    expect(bad.results[0].errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');

    const aliases = Array.from({ length: 6000 }, (_, i) => `e${i}: event`).join(' ');
    const before = onTransition.mock.calls.length;
    const expensive = feed(client, `subscription { taskEvents(namespace: "multi") { ${aliases} } }`);
    const { error } = await expensive.ended;
    expect(error).toEqual([expect.objectContaining({ message: expect.stringMatching(/complexity/) })]);
    expect(onTransition.mock.calls.length).toBe(before);

    const valid = feed(client, '{ __typename }');
    expect(await valid.ended).toEqual({});
    expect(valid.results).toEqual([{ data: { __typename: 'Query' } }]);
  });

  it("router.close() ends client sockets and stops serving upgrades, leaving the host's own upgrade handler alone", async () => {
    const own = testRouter(db, { tasks: [shared, lonely] });
    const app = express();
    app.use('/wf', own);
    const ownServer = http.createServer(app);
    const hostSockets = new WebSocketServer({ noServer: true });
    ownServer.on('upgrade', (request, socket, head) => {
      if (request.url !== '/host/ws') return;
      hostSockets.handleUpgrade(request, socket, head, (websocket) => websocket.send('hello from the host'));
    });
    own.attach(ownServer, { path: '/wf/graphql' });
    await new Promise<void>((resolve) => ownServer.listen(0, '127.0.0.1', resolve));
    const base = `ws://127.0.0.1:${(ownServer.address() as AddressInfo).port}`;
    try {
      let closed: (code: number) => void = () => undefined;
      const closedWith = new Promise<number>((resolve) => (closed = resolve));
      let connected: () => void = () => undefined;
      const isConnected = new Promise<void>((resolve) => (connected = resolve));
      const client = createClient({
        url: `${base}/wf/graphql`,
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        on: { closed: (event) => closed((event as { code: number }).code), connected: () => connected() },
      });
      clients.push(client);
      const live = feed(client, TASK_EVENTS, { ns: 'multi' });
      await isConnected;

      const greeting = await new Promise<string>((resolve, reject) => {
        const socket = new WebSocket(`${base}/host/ws`);
        socket.on('message', (message) => {
          resolve(String(message));
          socket.close();
        });
        socket.on('error', reject);
      });
      expect(greeting).toBe('hello from the host');

      await own.close();
      expect(await closedWith).toBe(1001);
      expect(await live.ended).toEqual({ error: expect.objectContaining({ code: 1001 }) });
      expect(ownServer.listenerCount('upgrade')).toBe(1);
    } finally {
      hostSockets.close();
      ownServer.closeAllConnections();
      await new Promise((resolve) => ownServer.close(resolve));
    }
  });
});
