export * from './types';
export { defineTask, validateTaskDefinition } from './define-task';
export { taskDefinitionInputSchema } from './definition-schema';
export { compileContextSchema } from './context-schema';
export { customEventNameProblem, RESERVED_EVENT_NAMESPACES } from './custom-event-names';
export { findCycle, topologicalOrder, type StepNode } from './graph';
export { taskLabel, type TaskIdentity } from './task-label';
export {
  loadTaskDefinitionDirectory,
  loadTaskDefinitionFile,
  parseTaskDefinitionYaml,
  type YamlDefinitionOptions,
} from './yaml';
export {
  LATEST_VERSION,
  TaskRegistry,
  type NamespaceSummary,
  type RegisterOptions,
  type ResolveOptions,
  type TaskRegistryOptions,
  type TaskSummary,
} from './task-registry';
