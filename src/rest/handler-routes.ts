import express, { type Router } from 'express';
import semver from 'semver';
import { InvalidRequestError, NotFoundError } from '../errors';
import { topologicalOrder } from '../registry/graph';
import { taskLabel } from '../registry/task-label';
import { LATEST_VERSION, type TaskRegistry } from '../registry/task-registry';
import type { StepTemplate, TaskDefinition } from '../registry/types';
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

/** Edges and execution order use every dependency (`dependsOnStep` and `dependsOnSteps` alike). */
function dependencyGraph(templates: readonly StepTemplate[]) {
  return {
    nodes: templates.map((template) => ({
      id: template.name,
      name: template.name,
      handler_class: template.handlerClass,
    })),
    edges: templates.flatMap((template) =>
      template.dependsOn.map((parent) => ({ from: parent, to: template.name, type: 'dependency' as const })),
    ),
    execution_order: topologicalOrder(templates),
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
    dependency_graph: dependencyGraph(definition.stepTemplates),
  };
}

/** `latest` (the default) or an exact semver; anything else is a malformed request, not a missing version. */
function requestedVersion(query: Record<string, unknown>): string {
  const version = queryString(query, 'version') ?? LATEST_VERSION;
  if (version !== LATEST_VERSION && semver.valid(version) !== version) {
    throw new InvalidRequestError(`version must be 'latest' or a semantic version, got '${version}'`, [
      { path: '/version', message: "must be 'latest' or a semantic version" },
    ]);
  }
  return version;
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
    const version = requestedVersion(req.query as Record<string, unknown>);
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
