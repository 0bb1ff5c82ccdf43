import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TaskerEngine } from '../../src/engine';
import { ContextValidationError } from '../../src/errors';
import type { Task, WorkflowStep } from '../../src/interfaces';
import type { JsonObject } from '../../src/registry/types';
import {
  Microservices,
  sampleRegistrationContext,
  userRegistrationDefinition,
  userRegistrationHandlers,
  userRegistrationRequest,
  type HttpService,
  type RecordedRequest,
} from '../../examples/microservices';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_BACKOFF, FAST_WORKER, testEngine } from '../support/engine';

const STEPS = [
  'create_user_account',
  'setup_billing_profile',
  'initialize_preferences',
  'send_welcome_sequence',
  'update_user_status',
];

describe('example microservices.user_registration (blog post 03, real HTTP services)', () => {
  let db: TestDatabase;
  let engine: TaskerEngine;
  let services: Microservices;
  let counter = 0;

  beforeAll(async () => {
    services = await new Microservices().start();
    db = await createTestDatabase();
    engine = testEngine(db, {
      tasks: [userRegistrationDefinition(services)],
      stepHandlers: userRegistrationHandlers,
      worker: FAST_WORKER,
      backoff: FAST_BACKOFF,
    });
    await engine.ready();
  });
  afterAll(async () => {
    await engine.close();
    await db.drop();
    await services.close();
  });
  beforeEach(() => {
    for (const service of services.all) service.clearFaults();
  });

  /** A registration of a user no other test registers. */
  function newUser(changes: JsonObject = {}): JsonObject {
    counter += 1;
    const context = sampleRegistrationContext();
    Object.assign(context.user_info as JsonObject, { email: `user${counter}@example.com`, ...changes });
    return context;
  }

  async function register(context: JsonObject): Promise<Task> {
    const task = await engine.createTask(userRegistrationRequest(context));
    return engine.runUntilSettled(task.taskId, { timeoutMs: 20_000 });
  }

  function step(task: Task, name: string): WorkflowStep {
    const found = task.steps.find((s) => s.name === name);
    if (!found) throw new Error(`no step ${name}`);
    return found;
  }

  function body(task: Task, name: string): JsonObject {
    return (step(task, name).results as { body: JsonObject }).body;
  }

  function states(task: Task): [string, string, number][] {
    return task.steps.map((s) => [s.name, s.status, s.attempts]);
  }

  /** The requests a task's steps made to one service (matched by the correlation id they send). */
  function requestsOf(task: Task, service: HttpService): RecordedRequest[] {
    const id = (task.context.correlation_id as string | undefined) ?? `reg_task_${task.taskId}`;
    return service.requests.filter((request) => request.correlationId === id);
  }

  it('P3-1: registers across four services in diamond order, every step once, all with one user id', async () => {
    const task = await register(newUser());
    expect(task.status).toBe('complete');
    expect(states(task)).toEqual(STEPS.map((name) => [name, 'complete', 1]));
    const userId = body(task, 'create_user_account').user_id;
    expect(userId).toMatch(/^usr_/);
    for (const name of STEPS) expect(body(task, name).user_id, name).toBe(userId);
    expect(body(task, 'create_user_account').status).toBe('created');
    expect(body(task, 'setup_billing_profile')).toMatchObject({ plan: 'pro', status: 'created' });
    expect(body(task, 'initialize_preferences').status).toBe('created');
    expect(body(task, 'update_user_status').status).toBe('registration_complete');

    const [create] = requestsOf(task, services.users).filter((r) => r.route === 'POST /users');
    const [billing] = requestsOf(task, services.billing);
    const [preferences] = requestsOf(task, services.preferences);
    const [welcome] = requestsOf(task, services.notifications);
    const [status] = requestsOf(task, services.users).filter((r) => r.route === 'PUT /users/:id/status');
    expect(create.receivedAt).toBeLessThan(Math.min(billing.receivedAt, preferences.receivedAt));
    expect(welcome.receivedAt).toBeGreaterThan(Math.max(billing.receivedAt, preferences.receivedAt));
    expect(status.receivedAt).toBeGreaterThan(welcome.receivedAt);
    expect(billing.body).toMatchObject({ user_id: userId, plan: 'pro', payment_method: 'card' });
    expect(status.body).toMatchObject({ status: 'registration_complete' });
  });

  it.each(['enterprise', 'free'])(
    'P3-2: the %s plan completes with that plan’s welcome sequence',
    async (plan) => {
      const task = await register(newUser({ plan }));
      expect(task.status).toBe('complete');
      expect(body(task, 'send_welcome_sequence')).toMatchObject({ plan });
      expect(body(task, 'update_user_status')).toMatchObject({ registration_outcome: { plan } });
      const [welcome] = requestsOf(task, services.notifications);
      expect(welcome.body?.features).toContain(plan === 'enterprise' ? 'sso' : 'community_support');
    },
  );

  it('P3-3: a user service answering 500 is retried 3 times; nothing downstream starts; task error', async () => {
    services.users.inject('POST /users', { status: 500, body: { error: 'boom' } }, Infinity);
    const task = await register(newUser());
    expect(task.status).toBe('error');
    expect(states(task)).toEqual([
      ['create_user_account', 'error', 3],
      ['setup_billing_profile', 'pending', 0],
      ['initialize_preferences', 'pending', 0],
      ['send_welcome_sequence', 'pending', 0],
      ['update_user_status', 'pending', 0],
    ]);
    expect(step(task, 'create_user_account').results).toMatchObject({
      _error: { message: expect.stringContaining('status 500'), retryable: true },
    });
    expect(requestsOf(task, services.users)).toHaveLength(3);
    expect(requestsOf(task, services.billing)).toHaveLength(0);
    expect(requestsOf(task, services.preferences)).toHaveLength(0);
  });

  it('P3-4: billing down (503, Retry-After: 1) while preferences work: billing waits, recovers, all complete', async () => {
    services.billing.inject('POST /billing_profiles', { status: 503, retryAfter: 1 }, 2);
    const task = await register(newUser());
    expect(task.status).toBe('complete');
    expect(states(task)).toEqual([
      ['create_user_account', 'complete', 1],
      ['setup_billing_profile', 'complete', 3],
      ['initialize_preferences', 'complete', 1],
      ['send_welcome_sequence', 'complete', 1],
      ['update_user_status', 'complete', 1],
    ]);
    const billing = requestsOf(task, services.billing);
    expect(billing.map((r) => r.status)).toEqual([503, 503, 201]);
    expect(billing[1].receivedAt - billing[0].receivedAt).toBeGreaterThanOrEqual(1000);
    expect(billing[2].receivedAt - billing[1].receivedAt).toBeGreaterThanOrEqual(1000);
    const [preferences] = requestsOf(task, services.preferences);
    const [welcome] = requestsOf(task, services.notifications);
    expect(preferences.receivedAt).toBeLessThan(billing[1].receivedAt);
    expect(welcome.receivedAt).toBeGreaterThan(billing[2].receivedAt);
  });

  it('P3-5: a 429 with Retry-After: 30 puts the welcome step in a 30 s backoff, not retried before it', async () => {
    services.notifications.inject('POST /welcome_sequences', { status: 429, retryAfter: 30 });
    const created = await engine.createTask(userRegistrationRequest(newUser()));
    await until(async () => {
      const current = await engine.getTask(created.taskId);
      return current !== undefined && step(current, 'send_welcome_sequence').status === 'error';
    });
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const waiting = (await engine.getTask(created.taskId)) as Task;
    expect(step(waiting, 'send_welcome_sequence')).toMatchObject({
      status: 'error',
      attempts: 1,
      backoffRequestSeconds: 30,
      retryable: true,
    });
    expect(step(waiting, 'update_user_status')).toMatchObject({ status: 'pending', attempts: 0 });
    expect(requestsOf(waiting, services.notifications)).toHaveLength(1);
    expect(waiting.status).toBe('in_progress');
    await engine.cancelTask(created.taskId);
  });

  it('P3-5: a 429 without Retry-After waits the default 60 s', async () => {
    services.notifications.inject('POST /welcome_sequences', { status: 429 });
    const created = await engine.createTask(userRegistrationRequest(newUser()));
    await until(async () => {
      const current = await engine.getTask(created.taskId);
      return current !== undefined && step(current, 'send_welcome_sequence').status === 'error';
    });
    const waiting = (await engine.getTask(created.taskId)) as Task;
    expect(step(waiting, 'send_welcome_sequence').backoffRequestSeconds).toBe(60);
    await engine.cancelTask(created.taskId);
  });

  it('P3-5: a 429 with Retry-After: 1 is retried after a second and the registration completes', async () => {
    services.notifications.inject('POST /welcome_sequences', { status: 429, retryAfter: 1 });
    const task = await register(newUser());
    expect(task.status).toBe('complete');
    expect(step(task, 'send_welcome_sequence').attempts).toBe(2);
    const [first, second] = requestsOf(task, services.notifications);
    expect(second.receivedAt - first.receivedAt).toBeGreaterThanOrEqual(1000);
  });

  it('P3-6: the same registration twice: the second finds everything already there (409) and creates nothing new', async () => {
    const context = newUser();
    const first = await register(context);
    const second = await register(context);
    expect([first.status, second.status]).toEqual(['complete', 'complete']);
    expect(body(second, 'create_user_account')).toMatchObject({
      status: 'already_exists',
      user_id: body(first, 'create_user_account').user_id,
    });
    expect(body(second, 'setup_billing_profile')).toMatchObject({
      status: 'already_exists',
      billing_id: body(first, 'setup_billing_profile').billing_id,
    });
    expect(body(second, 'initialize_preferences').status).toBe('already_exists');
    const email = (context.user_info as JsonObject).email;
    const userId = body(first, 'create_user_account').user_id;
    expect(
      services.users
        .requestsTo('POST /users')
        .filter((r) => r.body?.email === email)
        .map((r) => r.status),
    ).toEqual([201, 409]);
    expect(
      services.billing
        .requestsTo('POST /billing_profiles')
        .filter((r) => r.body?.user_id === userId)
        .map((r) => r.status),
    ).toEqual([201, 409]);
  });

  it('P3-6: a 409 for an email registered by someone else is a permanent USER_CONFLICT', async () => {
    const context = newUser();
    expect((await register(context)).status).toBe('complete');
    (context.user_info as JsonObject).name = 'Somebody Else';
    const task = await register(context);
    expect(task.status).toBe('error');
    expect(states(task)[0]).toEqual(['create_user_account', 'error', 1]);
    expect(step(task, 'create_user_account').results).toMatchObject({
      _error: { error_code: 'USER_CONFLICT' },
    });
  });

  it('P3-7: an explicit correlation_id is sent to every service and kept in every step’s results', async () => {
    const correlation = `corr-${Date.now()}`;
    const task = await register({ ...newUser(), correlation_id: correlation });
    expect(task.status).toBe('complete');
    expect(task.context.correlation_id).toBe(correlation);
    for (const name of STEPS) expect(body(task, name).correlation_id, name).toBe(correlation);
    const sent = services.all.flatMap((service) => requestsOf(task, service));
    expect(sent).toHaveLength(5);
  });

  it('P3-8: an invalid email is rejected when the task is created', async () => {
    const error = await engine
      .createTask(userRegistrationRequest(newUser({ email: 'not-an-email' })))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextValidationError);
    expect((error as ContextValidationError).details).toEqual([
      { path: '/user_info/email', message: 'must match format "email"' },
    ]);
  });

  it('P3-9: a 400 from billing is permanent: one attempt, the welcome never sent, task error', async () => {
    services.billing.inject('POST /billing_profiles', { status: 400, body: { error: 'invalid plan' } });
    const task = await register(newUser());
    expect(task.status).toBe('error');
    expect(states(task)).toEqual([
      ['create_user_account', 'complete', 1],
      ['setup_billing_profile', 'error', 1],
      ['initialize_preferences', 'complete', 1],
      ['send_welcome_sequence', 'pending', 0],
      ['update_user_status', 'pending', 0],
    ]);
    expect(step(task, 'setup_billing_profile')).toMatchObject({
      retryable: false,
      results: { _error: { error_code: 'CLIENT_VALIDATION_ERROR' } },
    });
    expect(requestsOf(task, services.notifications)).toHaveLength(0);
  });

  it('a 404 on the final status update is a permanent RESOURCE_NOT_FOUND', async () => {
    services.users.inject('PUT /users/:id/status', { status: 404, body: { error: 'user_not_found' } });
    const task = await register(newUser());
    expect(task.status).toBe('error');
    expect(states(task).at(-1)).toEqual(['update_user_status', 'error', 1]);
    expect(step(task, 'update_user_status').results).toMatchObject({
      _error: { error_code: 'RESOURCE_NOT_FOUND' },
    });
  });
});

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
