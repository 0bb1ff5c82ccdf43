import semver from 'semver';
import { DefinitionError, NotFoundError } from '../errors';
import type { StepHandlerMap } from '../handlers/step-handler';
import { taskLabel } from './task-label';
import { DEFAULT_NAMESPACE, type StepTemplate, type TaskDefinition } from './types';

export interface TaskRegistryOptions {
  /** The handlers step templates may name in `handlerClass`. */
  stepHandlers?: StepHandlerMap;
  /**
   * Refuse definitions naming a handler that is not registered (default). Processes that never run
   * steps (an API that only creates tasks) turn this off.
   */
  requireHandlers?: boolean;
}

export interface RegisterOptions {
  /** Replace a definition already registered under the same namespace, name and version. */
  replace?: boolean;
}

export interface ResolveOptions {
  namespace?: string;
  /** An exact version; omitted or `'latest'` means the highest registered semver. */
  version?: string;
}

export interface NamespaceSummary {
  name: string;
  /** Distinct task names in the namespace (all versions of a name count once). */
  taskCount: number;
}

export interface TaskSummary {
  namespace: string;
  name: string;
  /** Ascending semver order. */
  versions: string[];
  latestVersion: string;
}

export const LATEST_VERSION = 'latest';

type VersionsByName = Map<string, Map<string, TaskDefinition>>;

/** Task definitions by namespace, name and version; one per engine, so nothing is shared between engines. */
export class TaskRegistry {
  private readonly handlerNames: ReadonlySet<string>;
  private readonly requireHandlers: boolean;
  private readonly byNamespace = new Map<string, VersionsByName>();

  constructor({ stepHandlers = {}, requireHandlers = true }: TaskRegistryOptions = {}) {
    this.handlerNames = new Set(Object.keys(stepHandlers));
    this.requireHandlers = requireHandlers;
  }

  /**
   * @throws DefinitionError when a step names a handler class that has no handler, or when the
   * same namespace, name and version is registered already and `replace` is not set.
   */
  register(definition: TaskDefinition, { replace = false }: RegisterOptions = {}): TaskDefinition {
    this.assertHandlersKnown(definition);
    const versions = this.versionSlot(definition.namespaceName, definition.name);
    if (versions.has(definition.version) && !replace) {
      throw new DefinitionError(
        taskLabel(definition),
        'is already registered (pass { replace: true } to replace it)',
      );
    }
    versions.set(definition.version, definition);
    return definition;
  }

  /** @throws NotFoundError when no definition matches. */
  resolve(name: string, { namespace = DEFAULT_NAMESPACE, version }: ResolveOptions = {}): TaskDefinition {
    const definition = this.find(name, namespace, version);
    if (definition) return definition;
    const wanted = `${namespace}.${name}${version === undefined ? '' : `@${version}`}`;
    const available = this.versions(namespace, name);
    throw new NotFoundError(
      available.length === 0
        ? `No task definition ${wanted}`
        : `No task definition ${wanted} (available versions: ${available.join(', ')})`,
    );
  }

  has(name: string, { namespace = DEFAULT_NAMESPACE, version }: ResolveOptions = {}): boolean {
    return this.find(name, namespace, version) !== undefined;
  }

  /** Every registered definition, by namespace, then name, then ascending version. */
  list(): TaskDefinition[] {
    return [...this.byNamespace.values()]
      .flatMap((tasks) => [...tasks.values()].flatMap((versions) => [...versions.values()]))
      .sort(compareDefinitions);
  }

  /** Namespaces that hold at least one definition, sorted by name. */
  namespaces(): NamespaceSummary[] {
    return [...this.byNamespace]
      .map(([name, tasks]) => ({ name, taskCount: tasks.size }))
      .sort((a, b) => compareText(a.name, b.name));
  }

  /** The tasks of one namespace, sorted by name; empty for an unknown namespace. */
  listNamespace(namespace: string): TaskSummary[] {
    return [...(this.byNamespace.get(namespace)?.keys() ?? [])].sort(compareText).map((name) => {
      const versions = this.versions(namespace, name);
      return { namespace, name, versions, latestVersion: versions[versions.length - 1] };
    });
  }

  /** Registered versions of one task in ascending semver order; empty when none. */
  versions(namespace: string, name: string): string[] {
    return [...this.registeredVersions(namespace, name).keys()].sort(semver.compare);
  }

  private find(name: string, namespace: string, version: string | undefined): TaskDefinition | undefined {
    const versions = this.registeredVersions(namespace, name);
    if (version !== undefined && version !== LATEST_VERSION) return versions.get(version);
    const [latest] = [...versions.keys()].sort(semver.rcompare);
    return latest === undefined ? undefined : versions.get(latest);
  }

  private registeredVersions(namespace: string, name: string): ReadonlyMap<string, TaskDefinition> {
    return this.byNamespace.get(namespace)?.get(name) ?? new Map();
  }

  private versionSlot(namespace: string, name: string): Map<string, TaskDefinition> {
    const tasks = this.byNamespace.get(namespace) ?? new Map<string, Map<string, TaskDefinition>>();
    this.byNamespace.set(namespace, tasks);
    const versions = tasks.get(name) ?? new Map<string, TaskDefinition>();
    tasks.set(name, versions);
    return versions;
  }

  private assertHandlersKnown(definition: TaskDefinition): void {
    if (!this.requireHandlers) return;
    const missing = definition.stepTemplates.find(
      (template) => !this.handlerNames.has(template.handlerClass),
    );
    if (missing) throw this.unknownHandlerError(definition, missing);
  }

  private unknownHandlerError(definition: TaskDefinition, template: StepTemplate): DefinitionError {
    const known =
      this.handlerNames.size === 0
        ? 'no step handlers are registered'
        : `registered handlers: ${[...this.handlerNames].sort(compareText).join(', ')}`;
    return new DefinitionError(
      taskLabel(definition),
      `handler class '${template.handlerClass}' has no registered step handler (${known})`,
      template.name,
    );
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareDefinitions(a: TaskDefinition, b: TaskDefinition): number {
  return (
    compareText(a.namespaceName, b.namespaceName) ||
    compareText(a.name, b.name) ||
    semver.compare(a.version, b.version)
  );
}
