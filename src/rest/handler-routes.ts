import express, { type Router } from 'express';
import { NotFoundError } from '../errors';
import { taskLabel } from '../registry/task-label';
import type { TaskRegistry } from '../registry/task-registry';
import type { StepTemplate, TaskDefinition } from '../registry/types';
import { dependencyGraph, requestedVersion } from './handler-discovery';
import { queryString } from './params';
import type { RouteContext } from './route-context';

function serializeStepTemplate(template: StepTemplate) {
  return {
    name: template.name,
    description: template.description,
    dependent_system: template.dependentSystem,
    depends_on_steps: template.dependsOn,
    handler_class: template.handlerClass,
    configuration: template.handlerConfig,
    default_retryable: template.defaultRetryable,
    default_retry_limit: template.defaultRetryLimit,
    skippable: template.skippable,
    timeout_seconds: template.timeoutSeconds,
    custom_events: template.customEvents,
  };
}

function serializeDependencyGraph(templates: readonly StepTemplate[]) {
  const graph = dependencyGraph(templates);
  return {
    nodes: graph.nodes.map((node) => ({ id: node.id, name: node.name, handler_class: node.handlerClass })),
    edges: graph.edges,
    execution_order: graph.executionOrder,
    critical_path: graph.criticalPath,
    levels: graph.levels,
  };
}

function serializeHandler(definition: TaskDefinition) {
  return {
    name: definition.name,
    namespace: definition.namespaceName,
    version: definition.version,
    full_name: taskLabel(definition),
    description: definition.description,
    step_templates: definition.stepTemplates.map(serializeStepTemplate),
    dependency_graph: serializeDependencyGraph(definition.stepTemplates),
  };
}

function namespaceHandlers(registry: TaskRegistry, namespace: string) {
  const handlers = registry.listNamespace(namespace);
  if (handlers.length === 0) throw new NotFoundError('Namespace not found');
  return handlers;
}

/** `/handlers`: discovery of the task definitions registered with this engine. */
export function handlerRoutes({ engine, guard }: RouteContext): Router {
  const router = express.Router();
  const { registry } = engine;

  router.get('/handlers', guard('tasker.handler', 'index'), (_req, res) => {
    const namespaces = registry.namespaces();
    res.json({
      namespaces: namespaces.map((namespace) => ({
        name: namespace.name,
        handler_count: namespace.taskCount,
      })),
      total_namespaces: namespaces.length,
      generated_at: new Date().toISOString(),
    });
  });

  router.get('/handlers/:namespace', guard('tasker.handler', 'index'), (req, res) => {
    const { namespace } = req.params as { namespace: string };
    const handlers = namespaceHandlers(registry, namespace);
    res.json({
      namespace,
      handlers: handlers.map((handler) => ({
        name: handler.name,
        namespace: handler.namespace,
        versions: handler.versions,
        latest_version: handler.latestVersion,
        handler_count: handler.versions.length,
      })),
      total_handlers: handlers.length,
    });
  });

  router.get('/handlers/:namespace/:name', guard('tasker.handler', 'show'), (req, res) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const version = requestedVersion(queryString(req.query as Record<string, unknown>, 'version'));
    const handlers = namespaceHandlers(registry, namespace);
    if (!handlers.some((handler) => handler.name === name)) {
      throw new NotFoundError('Handler not found in namespace');
    }
    res.json({
      handler: serializeHandler(registry.resolve(name, { namespace, version })),
      generated_at: new Date().toISOString(),
    });
  });

  return router;
}
