import type express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERMISSIONS } from '../../src/auth/permissions';
import { PermanentError } from '../../src/handlers/step-errors';
import type { StepContext } from '../../src/handlers/step-handler';
import type { Task } from '../../src/interfaces';
import { defineTask } from '../../src/registry/define-task';
import type { TaskerRouter } from '../../src/router';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { FAST_WORKER } from '../support/engine';
import { authenticated, hostApp, token } from '../support/http-app';

/** validate → (reserve, charge) → ship; the step named by `fail_at` in the context fails for good. */
const checkoutTask = defineTask({
  name: 'checkout',
  namespaceName: 'shop',
  version: '1.0.0',
  stepTemplates: [
    { name: 'validate', handlerClass: 'Step' },
    { name: 'reserve', handlerClass: 'Step', dependsOnStep: 'validate' },
    { name: 'charge', handlerClass: 'Step', dependsOnStep: 'validate' },
    { name: 'ship', handlerClass: 'Step', dependsOnSteps: ['reserve', 'charge'] },
  ],
});
const stepHandlers = {
  Step: (ctx: StepContext) => {
    if (ctx.task.context.fail_at === ctx.step.name) throw new PermanentError(`${ctx.step.name} failed`);
    return { ok: true };
  },
};

function stepId(task: Task, name: string): number {
  return task.steps.find((step) => step.name === name)?.workflowStepId as number;
}

describe('REST task diagram and dependency analysis', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  let completed: Task;
  let failedAtShip: Task;
  let failedAtValidate: Task;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [checkoutTask], stepHandlers, worker: FAST_WORKER }));
    const run = async (context: { fail_at?: string }) => {
      const { taskId } = await router.engine.createTask({ name: 'checkout', namespace: 'shop', context });
      return router.engine.runUntilSettled(taskId);
    };
    [completed, failedAtShip, failedAtValidate] = await Promise.all([
      run({}),
      run({ fail_at: 'ship' }),
      run({ fail_at: 'validate' }),
    ]);
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  describe('GET /tasks/:id/diagram', () => {
    it('answers a Mermaid flowchart of the steps, their edges and states by default', async () => {
      expect(failedAtShip.status).toBe('error');
      const res = await request(app).get(`/tasker/tasks/${failedAtShip.taskId}/diagram`).expect(200);
      expect(res.headers['content-type']).toMatch(/^text\/vnd\.mermaid/);
      const [validate, reserve, charge, ship] = ['validate', 'reserve', 'charge', 'ship'].map((name) =>
        stepId(failedAtShip, name),
      );
      const lines = res.text.split('\n');
      expect(lines[0]).toBe('flowchart TD');
      expect(lines).toEqual(
        expect.arrayContaining([
          `    s${validate}["validate<br/>complete"]`,
          `    s${charge}["charge<br/>complete"]`,
          `    s${ship}["ship<br/>error"]`,
          `  s${validate} --> s${reserve}`,
          `  s${validate} --> s${charge}`,
          `  s${reserve} --> s${ship}`,
          `  s${charge} --> s${ship}`,
          `  class s${validate},s${reserve},s${charge} complete`,
          `  class s${ship} error`,
        ]),
      );
      expect(lines.filter((line) => line.startsWith('  classDef '))).toHaveLength(6);
    });

    it('gives the steps a failure left waiting the pending class', async () => {
      const res = await request(app).get(`/tasker/tasks/${failedAtValidate.taskId}/diagram`).expect(200);
      const waiting = ['reserve', 'charge', 'ship'].map((name) => `s${stepId(failedAtValidate, name)}`);
      expect(res.text.split('\n')).toEqual(
        expect.arrayContaining([
          `  class ${waiting.join(',')} pending`,
          `  class s${stepId(failedAtValidate, 'validate')} error`,
        ]),
      );
    });

    it('answers { mermaid } when JSON is asked for', async () => {
      const text = await request(app).get(`/tasker/tasks/${completed.taskId}/diagram`).expect(200);
      const json = await request(app)
        .get(`/tasker/tasks/${completed.taskId}/diagram`)
        .set('accept', 'application/json')
        .expect('content-type', /application\/json/)
        .expect(200);
      expect(json.body).toEqual({ mermaid: text.text });
      expect(json.body.mermaid).toContain(
        `class ${completed.steps.map((s) => `s${s.workflowStepId}`).join(',')} complete`,
      );
    });

    it('falls back to Mermaid text for any other Accept header', async () => {
      for (const accept of ['*/*', 'text/*', 'text/html', 'text/vnd.mermaid']) {
        const res = await request(app)
          .get(`/tasker/tasks/${completed.taskId}/diagram`)
          .set('accept', accept)
          .expect(200);
        expect(res.headers['content-type']).toMatch(/^text\/vnd\.mermaid/);
      }
    });

    it('answers 404 (as JSON) for an unknown task and 400 for a bad id', async () => {
      const missing = await request(app).get('/tasker/tasks/999999/diagram').expect(404);
      expect(missing.body).toEqual({ error: 'not_found', message: 'Task 999999 not found' });
      const bad = await request(app).get('/tasker/tasks/one/diagram').expect(400);
      expect(bad.body.error).toBe('bad_request');
    });
  });

  describe('GET /tasks/:id?include_dependencies=true', () => {
    it('adds the dependency analysis of a finished task', async () => {
      const res = await request(app)
        .get(`/tasker/tasks/${completed.taskId}?include_dependencies=true`)
        .expect(200);
      const analysis = res.body.task.dependency_analysis;
      expect(analysis.dependency_graph.dependency_levels).toEqual({
        validate: 0,
        reserve: 1,
        charge: 1,
        ship: 2,
      });
      expect(analysis.dependency_graph.edges).toHaveLength(4);
      expect(analysis.critical_paths).toMatchObject({
        longest_path_length: 3,
        root_nodes: [stepId(completed, 'validate')],
        leaf_nodes: [stepId(completed, 'ship')],
      });
      expect(analysis.critical_paths.paths.map((p: { step_names: string[] }) => p.step_names)).toEqual([
        ['validate', 'reserve', 'ship'],
        ['validate', 'charge', 'ship'],
      ]);
      expect(analysis.critical_paths.paths[0].completion_percentage).toBe(100);
      expect(analysis.parallelism_opportunities).toMatchObject({ total_levels: 3, max_parallel_steps: 2 });
      expect(analysis.task_execution_summary).toEqual({
        total_steps: 4,
        total_dependencies: 4,
        dependency_levels: 3,
        longest_path_length: 3,
        error_chains_count: 0,
        overall_health: 'healthy',
      });
      expect(Date.parse(analysis.analysis_timestamp)).not.toBeNaN();
    });

    it('shows which steps a failed step holds up', async () => {
      const res = await request(app)
        .get(`/tasker/tasks/${failedAtValidate.taskId}?include_dependencies=1`)
        .expect(200);
      const analysis = res.body.task.dependency_analysis;
      expect(analysis.error_chains).toEqual({
        total_error_steps: 1,
        error_chains: [
          {
            error_step_id: stepId(failedAtValidate, 'validate'),
            error_step_name: 'validate',
            attempts: 1,
            retry_limit: 3,
            retryable: false,
            will_retry: false,
            downstream_steps: ['reserve', 'charge', 'ship'],
            total_downstream_steps: 3,
          },
        ],
      });
      expect(analysis.task_execution_summary.overall_health).toBe('critical');
    });

    it('leaves the analysis out unless asked for', async () => {
      for (const query of ['', '?include_dependencies=false', '?include_dependencies=no']) {
        const res = await request(app).get(`/tasker/tasks/${completed.taskId}${query}`).expect(200);
        expect(res.body.task).not.toHaveProperty('dependency_analysis');
      }
      await request(app)
        .get(`/tasker/tasks/${completed.taskId}?include_dependencies=true&include_dependencies=true`)
        .expect(400);
    });
  });
});

describe('REST task diagram with authentication', () => {
  let db: TestDatabase;
  let app: express.Express;
  let router: TaskerRouter;
  let taskId: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    ({ app, router } = hostApp(db, { tasks: [checkoutTask], stepHandlers, auth: authenticated }));
    ({ taskId } = await router.engine.createTask({ name: 'checkout', namespace: 'shop', context: {} }));
  });
  afterAll(async () => {
    await router.close();
    await db.drop();
  });

  it.each(['/diagram', '?include_dependencies=true'])(
    'GET /tasks/:id%s needs tasker.task:show',
    async (suffix) => {
      const path = `/tasker/tasks/${taskId}${suffix}`;
      const anonymous = await request(app).get(path).expect(401);
      expect(anonymous.body.error).toBe('Unauthorized');

      const everythingElse = PERMISSIONS.map((p) => p.permission).filter((p) => p !== 'tasker.task:show');
      const denied = await request(app)
        .get(path)
        .set('authorization', `Bearer ${token({ permissions: everythingElse })}`)
        .expect(403);
      expect(denied.body).toEqual({ error: 'Forbidden', message: 'Not authorized to show on tasker.task' });

      await request(app)
        .get(path)
        .set('authorization', `Bearer ${token({ admin: true })}`)
        .expect(200);
      await request(app)
        .get(path)
        .set('authorization', `Bearer ${token({ permissions: ['tasker.task:show'] })}`)
        .expect(200);
    },
  );
});
