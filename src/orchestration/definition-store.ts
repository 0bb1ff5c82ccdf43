import type pg from 'pg';
import { ensureNamedSteps, ensureNamedTask, ensureNamespace } from '../db/queries/definitions';
import type { TaskDefinition } from '../registry/types';

export interface PersistedDefinition {
  namedTaskId: number;
  /** Named step id of each step template, in template order. */
  namedStepIds: number[];
}

/**
 * Makes sure a definition's catalogue rows (namespace, named task, dependent systems, named steps)
 * exist, once per definition per engine, so creating a task needs none of those round trips.
 */
export class DefinitionStore {
  private readonly persisted = new WeakMap<TaskDefinition, Promise<PersistedDefinition>>();

  constructor(private readonly pool: pg.Pool) {}

  ensure(definition: TaskDefinition): Promise<PersistedDefinition> {
    let pending = this.persisted.get(definition);
    if (!pending) {
      pending = this.persist(definition);
      this.persisted.set(definition, pending);
      pending.catch(() => this.persisted.delete(definition));
    }
    return pending;
  }

  private async persist(definition: TaskDefinition): Promise<PersistedDefinition> {
    const namespaceId = await ensureNamespace(this.pool, definition.namespaceName);
    const namedTaskId = await ensureNamedTask(this.pool, {
      namespaceId,
      name: definition.name,
      version: definition.version,
      description: definition.description,
    });
    const namedStepIds = await ensureNamedSteps(
      this.pool,
      namedTaskId,
      definition.stepTemplates.map((template) => ({
        name: template.name,
        description: template.description,
        dependentSystem: template.dependentSystem,
        skippable: template.skippable,
        defaultRetryable: template.defaultRetryable,
        defaultRetryLimit: template.defaultRetryLimit,
      })),
    );
    return { namedTaskId, namedStepIds };
  }
}
