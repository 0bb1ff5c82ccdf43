import express, { type Router } from 'express';
import type { JSONSchemaType } from 'ajv';
import type { TaskerEngine } from '../engine';
import { InvalidRequestError, NotFoundError, type ValidationDetail } from '../errors';
import type { Task, WorkflowStep } from '../interfaces';
import type { JsonObject, JsonValue } from '../registry/types';
import { bodyValidator } from './body';
import { idParam, queryInteger, queryString } from './params';
import type { RouteContext } from './route-context';
import { serializeStep } from './serializers';

interface UpdateStepBody {
  workflow_step: { retry_limit?: number; inputs?: JsonObject };
}

const updateStepBody = bodyValidator<UpdateStepBody>(
  {
    type: 'object',
    required: ['workflow_step'],
    additionalProperties: false,
    properties: {
      workflow_step: {
        type: 'object',
        additionalProperties: false,
        properties: {
          retry_limit: { type: 'integer', minimum: 1, maximum: 1000 },
          inputs: { type: 'object' },
        },
      },
    },
  } as unknown as JSONSchemaType<UpdateStepBody>,
  'workflow step update',
);

interface ResolveStepBody {
  results?: JsonValue;
}

const resolveStepBody = bodyValidator<ResolveStepBody>(
  {
    type: 'object',
    additionalProperties: false,
    properties: { results: {} },
  } as unknown as JSONSchemaType<ResolveStepBody>,
  'resolve request',
);

/** Step fields a list may be sorted by (compared in memory: a task's steps are all loaded anyway). */
const STEP_SORT_FIELDS = {
  workflow_step_id: (step: WorkflowStep) => step.workflowStepId,
  name: (step: WorkflowStep) => step.name,
  status: (step: WorkflowStep) => step.status,
  attempts: (step: WorkflowStep) => step.attempts,
  retry_limit: (step: WorkflowStep) => step.retryLimit,
  last_attempted_at: (step: WorkflowStep) => step.lastAttemptedAt?.getTime() ?? null,
  processed_at: (step: WorkflowStep) => step.processedAt?.getTime() ?? null,
  created_at: (step: WorkflowStep) => step.createdAt.getTime(),
  updated_at: (step: WorkflowStep) => step.updatedAt.getTime(),
} as const;

const MAX_STEP_LIST_LIMIT = 100;

interface StepListQuery {
  sortBy: keyof typeof STEP_SORT_FIELDS;
  descending: boolean;
  limit: number | undefined;
  offset: number;
}

function stepListQuery(query: Record<string, unknown>): StepListQuery {
  const details: ValidationDetail[] = [];
  const sortBy = queryString(query, 'sort_by') ?? 'workflow_step_id';
  if (!Object.hasOwn(STEP_SORT_FIELDS, sortBy)) {
    details.push({ path: '/sort_by', message: `must be one of ${Object.keys(STEP_SORT_FIELDS).join(', ')}` });
  }
  const sortOrder = queryString(query, 'sort_order') ?? 'asc';
  if (sortOrder !== 'asc' && sortOrder !== 'desc') {
    details.push({ path: '/sort_order', message: 'must be asc or desc' });
  }
  const limit = queryInteger(query, 'limit');
  if (limit !== undefined && limit < 1) details.push({ path: '/limit', message: 'must be an integer ≥ 1' });
  const offset = queryInteger(query, 'offset') ?? 0;
  if (offset < 0) details.push({ path: '/offset', message: 'must be an integer ≥ 0' });
  if (details.length > 0) throw new InvalidRequestError('Invalid workflow step list query', details);
  return {
    sortBy: sortBy as StepListQuery['sortBy'],
    descending: sortOrder === 'desc',
    limit: limit === undefined ? undefined : Math.min(limit, MAX_STEP_LIST_LIMIT),
    offset,
  };
}

/** Nulls sort last whatever the order; ties fall back to the step id so pages are stable. */
function pageOfSteps(steps: readonly WorkflowStep[], query: StepListQuery): WorkflowStep[] {
  const key = STEP_SORT_FIELDS[query.sortBy];
  const direction = query.descending ? -1 : 1;
  const sorted = [...steps].sort((a, b) => {
    const [x, y] = [key(a), key(b)];
    if (x === y) return a.workflowStepId - b.workflowStepId;
    if (x === null) return 1;
    if (y === null) return -1;
    return (x < y ? -1 : 1) * direction;
  });
  const end = query.limit === undefined ? undefined : query.offset + query.limit;
  return sorted.slice(query.offset, end);
}

async function taskOrNotFound(engine: TaskerEngine, taskId: number): Promise<Task> {
  const task = await engine.getTask(taskId);
  if (!task) throw new NotFoundError(`Task ${taskId} not found`);
  return task;
}

/** The step serialized with its siblings; 404 unless it belongs to the task. */
function serializedStepOf(task: Task, stepId: number) {
  const step = task.steps.find((candidate) => candidate.workflowStepId === stepId);
  if (!step) throw new NotFoundError(`Workflow step ${stepId} not found in task ${task.taskId}`);
  return serializeStep(step, task.steps);
}

function stepIds(params: Record<string, unknown>): { taskId: number; stepId: number } {
  return { taskId: idParam(params.task_id, 'task_id'), stepId: idParam(params.id, 'id') };
}

/** `/tasks/:task_id/workflow_steps`: list, show, update, cancel (DELETE) and resolve by hand. */
export function stepRoutes({ engine, guard, json }: RouteContext): Router {
  const router = express.Router();
  const base = '/tasks/:task_id/workflow_steps';

  router.get(base, guard('tasker.workflow_step', 'index'), async (req, res) => {
    const query = stepListQuery(req.query as Record<string, unknown>);
    const task = await taskOrNotFound(engine, idParam(req.params.task_id, 'task_id'));
    res.json({ steps: pageOfSteps(task.steps, query).map((step) => serializeStep(step, task.steps)) });
  });

  router.get(`${base}/:id`, guard('tasker.workflow_step', 'show'), async (req, res) => {
    const { taskId, stepId } = stepIds(req.params);
    res.json({ step: serializedStepOf(await taskOrNotFound(engine, taskId), stepId) });
  });

  const update = async (req: express.Request, res: express.Response) => {
    const { taskId, stepId } = stepIds(req.params);
    const { workflow_step: changes } = updateStepBody(req.body);
    const task = await engine.updateStep(taskId, stepId, {
      retryLimit: changes.retry_limit,
      inputs: changes.inputs,
    });
    res.json({ step: serializedStepOf(task, stepId) });
  };
  router.patch(`${base}/:id`, guard('tasker.workflow_step', 'update'), json, update);
  router.put(`${base}/:id`, guard('tasker.workflow_step', 'update'), json, update);

  router.delete(`${base}/:id`, guard('tasker.workflow_step', 'cancel'), async (req, res) => {
    const { taskId, stepId } = stepIds(req.params);
    const task = await engine.cancelStep(taskId, stepId);
    res.json({ cancelled: true, step: serializedStepOf(task, stepId) });
  });

  router.post(`${base}/:id/resolve`, guard('tasker.workflow_step', 'resolve'), json, async (req, res) => {
    const { taskId, stepId } = stepIds(req.params);
    const { results } = resolveStepBody(req.body ?? {});
    res.json({ step: serializedStepOf(await engine.resolveStep(taskId, stepId, results), stepId) });
  });

  return router;
}
