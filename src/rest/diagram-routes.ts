import express, { type Router } from 'express';
import { NotFoundError } from '../errors';
import { taskDiagram } from '../observability/mermaid';
import { idParam } from './params';
import type { RouteContext } from './route-context';

const MERMAID_TYPE = 'text/vnd.mermaid';

/** `GET /tasks/:id/diagram`: the task's DAG as Mermaid text, or `{ mermaid }` when JSON is preferred. */
export function diagramRoutes({ engine, guard }: RouteContext): Router {
  const router = express.Router();

  router.get('/tasks/:id/diagram', guard('tasker.task', 'show'), async (req, res) => {
    const id = idParam(req.params.id, 'id');
    const task = await engine.getTask(id);
    if (!task) throw new NotFoundError(`Task ${id} not found`);
    const mermaid = taskDiagram(task);
    res.vary('Accept');
    if (req.accepts([MERMAID_TYPE, 'application/json']) === 'application/json') {
      res.json({ mermaid });
    } else {
      res.type(MERMAID_TYPE).send(mermaid);
    }
  });

  return router;
}
