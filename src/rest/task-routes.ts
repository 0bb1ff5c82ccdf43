import express, { type Router } from 'express';
import type { JSONSchemaType } from 'ajv';
import type { TaskerEngine } from '../engine';
import { NotFoundError } from '../errors';
import type { TaskRequest } from '../interfaces';
import { analyzeDependencies } from '../observability/dependency-analysis';
import type { JsonObject } from '../registry/types';
import { bodyValidator } from './body';
import type { RouteContext } from './route-context';
import { idParam, queryBoolean, queryInteger, queryString } from './params';
import { serializeTask } from './serializers';

interface CreateTaskBody {
  task: {
    name: string;
    namespace?: string;
    version?: string;
    context: JsonObject;
    initiator?: string;
    source_system?: string;
    reason?: string;
    tags?: string[];
    bypass_steps?: string[];
  };
}

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;

const createTaskBody = bodyValidator<CreateTaskBody>(
  {
    type: 'object',
    required: ['task'],
    additionalProperties: false,
    properties: {
      task: {
        type: 'object',
        required: ['name', 'context'],
        additionalProperties: false,
        properties: {
          name: text(64),
          namespace: { ...text(64), nullable: true },
          version: { ...text(64), nullable: true },
          context: { type: 'object', required: [] },
          initiator: { ...text(128), nullable: true },
          source_system: { ...text(128), nullable: true },
          reason: { ...text(128), nullable: true },
          tags: { type: 'array', items: text(128), maxItems: 100, nullable: true },
          bypass_steps: { type: 'array', items: text(128), maxItems: 1000, nullable: true },
        },
      },
    },
  } as unknown as JSONSchemaType<CreateTaskBody>,
  'task',
);

interface UpdateTaskBody {
  task: { reason?: string; tags?: string[] };
}

const updateTaskBody = bodyValidator<UpdateTaskBody>(
  {
    type: 'object',
    required: ['task'],
    additionalProperties: false,
    properties: {
      task: {
        type: 'object',
        additionalProperties: false,
        properties: {
          reason: { ...text(128), nullable: true },
          tags: { type: 'array', items: text(128), maxItems: 100, nullable: true },
        },
      },
    },
  } as unknown as JSONSchemaType<UpdateTaskBody>,
  'task update',
);

function toTaskRequest({ task }: CreateTaskBody): TaskRequest {
  return {
    name: task.name,
    namespace: task.namespace,
    version: task.version,
    context: task.context,
    initiator: task.initiator,
    sourceSystem: task.source_system,
    reason: task.reason,
    tags: task.tags,
    bypassSteps: task.bypass_steps,
  };
}

async function taskOrNotFound(engine: TaskerEngine, id: number) {
  const task = await engine.getTask(id);
  if (!task) throw new NotFoundError(`Task ${id} not found`);
  return task;
}

/** `/tasks`: list, show, create, update, cancel (DELETE) and retry. */
export function taskRoutes({ engine, guard, json }: RouteContext): Router {
  const router = express.Router();

  router.get('/tasks', guard('tasker.task', 'index'), async (req, res) => {
    const query = req.query as Record<string, unknown>;
    const list = await engine.listTasks({
      namespace: queryString(query, 'namespace'),
      name: queryString(query, 'name'),
      version: queryString(query, 'version'),
      status: queryString(query, 'status'),
      limit: queryInteger(query, 'limit'),
      offset: queryInteger(query, 'offset'),
      sortBy: queryString(query, 'sort_by'),
      sortOrder: queryString(query, 'sort_order') as 'asc' | 'desc' | undefined,
    });
    res.json({
      tasks: list.tasks.map(serializeTask),
      pagination: { total: list.total, limit: list.limit, offset: list.offset },
    });
  });

  router.post('/tasks', guard('tasker.task', 'create'), json, async (req, res) => {
    const task = await engine.createTask(toTaskRequest(createTaskBody(req.body)));
    res.status(201).json({ task: serializeTask(task) });
  });

  router.get('/tasks/:id', guard('tasker.task', 'show'), async (req, res) => {
    const task = await taskOrNotFound(engine, idParam(req.params.id, 'id'));
    if (!queryBoolean(req.query as Record<string, unknown>, 'include_dependencies')) {
      res.json({ task: serializeTask(task) });
      return;
    }
    res.json({ task: { ...serializeTask(task), dependency_analysis: analyzeDependencies(task) } });
  });

  const update = async (req: express.Request, res: express.Response) => {
    const id = idParam(req.params.id, 'id');
    const { task } = updateTaskBody(req.body);
    res.json({ task: serializeTask(await engine.updateTask(id, task)) });
  };
  router.patch('/tasks/:id', guard('tasker.task', 'update'), json, update);
  router.put('/tasks/:id', guard('tasker.task', 'update'), json, update);

  router.delete('/tasks/:id', guard('tasker.task', 'cancel'), async (req, res) => {
    const task = await engine.cancelTask(idParam(req.params.id, 'id'));
    res.json({ cancelled: true, task: serializeTask(task) });
  });

  router.post('/tasks/:id/retry', guard('tasker.task', 'retry'), async (req, res) => {
    const task = await engine.retryTask(idParam(req.params.id, 'id'));
    res.json({ task: serializeTask(task) });
  });

  return router;
}
