export { createEngine, TaskerEngine } from './engine';
export type {
  EventSubscriber,
  IdentityStrategy,
  Logger,
  Task,
  TaskerEvents,
  TaskerOptions,
  TaskIdentityInput,
  TaskRequest,
  WorkflowStep,
} from './interfaces';
export type { TaskerEvent } from './events/event-bus';
export {
  defineTask,
  loadTaskDefinitionDirectory,
  loadTaskDefinitionFile,
  parseTaskDefinitionYaml,
  topologicalOrder,
  TaskRegistry,
  LATEST_VERSION,
  type CustomEventDeclaration,
  type JsonObject,
  type JsonValue,
  type StepTemplate,
  type StepTemplateInput,
  type TaskDefinition,
  type TaskDefinitionInput,
  type YamlDefinitionOptions,
} from './registry';
export {
  StepHandler,
  type StepContext,
  type StepHandlerClass,
  type StepHandlerFunction,
  type StepHandlerMap,
  type StepHandlerRegistration,
} from './handlers/step-handler';
export {
  ConfigurationError,
  ContextValidationError,
  DefinitionError,
  IllegalTransitionError,
  InvalidRequestError,
  NotFoundError,
  TaskConflictError,
  TaskerError,
  type TaskerErrorCode,
  type ValidationDetail,
} from './errors';
export { STEP_STATES, TASK_STATES, type StepState, type TaskState } from './state/states';
export { migrateDown, migrateUp, migrationStatus, type MigrationStatus } from './db/migrator';
export { defineModels, type TaskerModels } from './db/models';
