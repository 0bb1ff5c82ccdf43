export { createEngine, TaskerEngine } from './engine';
export { tasker, type TaskerRouter, type TaskerRouterOptions } from './router';
export type { HealthOptions } from './rest/health-routes';
export type { MetricsOptions } from './observability/metrics';
export type { TracingOptions } from './observability/tracing';
export type { GraphQLOptions } from './graphql/http';
export type { AttachOptions } from './graphql/ws';
export type { TransitionEvent, TransitionListener } from './events/transition-event';
export {
  AuthenticationError,
  AuthorizationError,
  claimsAuthorization,
  isKnownPermission,
  jwtAuthenticator,
  PERMISSIONS,
  principalFromClaims,
  type AuthOption,
  type AuthOptions,
  type AuthRequest,
  type Authenticator,
  type AuthorizationContext,
  type AuthorizationCoordinator,
  type JwtAuthenticatorOptions,
  type JwtClaims,
  type Permission,
  type Principal,
  type TaskerAction,
  type TaskerResource,
} from './auth';
export type { StepChanges, TaskChanges, TaskList, TaskListQuery } from './orchestration/task-queries';
export type {
  BackoffSettings,
  RunUntilSettledOptions,
  WorkerOptions,
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
export type {
  CustomEventFields,
  CustomEventPayload,
  EventCatalogEntry,
  EventCategory,
  EventPayload,
  StepBackoffPayload,
  StepMaxRetriesReachedPayload,
  StepTransitionPayload,
  SystemEventName,
  SystemEventPayloads,
  TaskEnqueuePayload,
  TaskTransitionPayload,
  ViableStepsDiscoveredPayload,
} from './events/catalog';
export { UNDECLARED_EVENT_CODE } from './events/custom-events';
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
  PermanentError,
  RetryableError,
  StepCancelledError,
  StepTimeoutError,
  type PermanentErrorOptions,
  type RetryableErrorOptions,
} from './handlers/step-errors';
export { ApiStepHandler, type ApiOutcome, type ApiResponse } from './handlers/api-step-handler';
export { HttpClient, type HttpRequestOptions } from './handlers/http-client';
export { parseRetryAfter } from './handlers/retry-after';
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
