// Handler discovery shared by REST `/handlers` and the GraphQL `handlers` and `handler` queries.
import semver from 'semver';
import { InvalidRequestError } from '../errors';
import { criticalPath, dependencyLevels, topologicalOrder } from '../registry/graph';
import { LATEST_VERSION, type TaskRegistry } from '../registry/task-registry';
import type { StepTemplate, TaskDefinition } from '../registry/types';

export interface DependencyGraph {
  nodes: Array<{ id: string; name: string; handlerClass: string }>;
  edges: Array<{ from: string; to: string; type: 'dependency' }>;
  executionOrder: string[];
  /** The longest chain of dependent steps, root first. */
  criticalPath: string[];
  /** Each step's level (0 for roots). */
  levels: Record<string, number>;
}

/** Edges and execution order use every dependency (`dependsOnStep` and `dependsOnSteps` alike). */
export function dependencyGraph(templates: readonly StepTemplate[]): DependencyGraph {
  return {
    nodes: templates.map((template) => ({
      id: template.name,
      name: template.name,
      handlerClass: template.handlerClass,
    })),
    edges: templates.flatMap((template) =>
      template.dependsOn.map((parent) => ({ from: parent, to: template.name, type: 'dependency' as const })),
    ),
    executionOrder: topologicalOrder(templates),
    criticalPath: criticalPath(templates),
    levels: dependencyLevels(templates),
  };
}

/** `latest` (the default) or an exact semver; anything else is a malformed request, not a missing version. */
export function requestedVersion(version: string | undefined): string {
  const requested = version ?? LATEST_VERSION;
  if (requested !== LATEST_VERSION && semver.valid(requested) !== requested) {
    throw new InvalidRequestError(`version must be 'latest' or a semantic version, got '${requested}'`, [
      { path: '/version', message: "must be 'latest' or a semantic version" },
    ]);
  }
  return requested;
}

/** The registered definition, or undefined when the namespace, name or version is unknown. */
export function findHandler(
  registry: TaskRegistry,
  namespace: string,
  name: string,
  version: string,
): TaskDefinition | undefined {
  return registry.has(name, { namespace, version })
    ? registry.resolve(name, { namespace, version })
    : undefined;
}
