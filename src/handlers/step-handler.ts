import type { JsonObject, JsonValue } from '../registry/types';

export interface StepContextTask {
  taskId: number;
  name: string;
  namespace: string;
  version: string;
  context: JsonObject;
  tags: string[];
}

export interface StepContextStep {
  workflowStepId: number;
  name: string;
  attempts: number;
  retryLimit: number;
  inputs: JsonObject | null;
  config: JsonObject | null;
}

export interface StepLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** What a step handler sees while it runs. */
export interface StepContext {
  task: StepContextTask;
  step: StepContextStep;
  /** Results of a completed ancestor step, by name. */
  results(stepName: string): JsonValue | undefined;
  /** Aborted on step timeout or cancellation. */
  signal: AbortSignal;
  log: StepLogger;
  /**
   * Publishes a custom event declared in `customEvents` of the task or of this step's template,
   * adding `task_id`, `step_id`, `step_name` and `event_type: 'custom'`. Subscribers in this process
   * receive it once the attempt's outcome has committed. An undeclared name throws a
   * `PermanentError` (`errorCode` `UNDECLARED_EVENT`).
   */
  publish(eventName: string, payload?: JsonObject): void;
}

/** Base class for step handlers: implement `process`; its return value is stored as the step's results. */
export abstract class StepHandler {
  abstract process(ctx: StepContext): Promise<unknown> | unknown;
}

export type StepHandlerFunction = (ctx: StepContext) => Promise<unknown> | unknown;

export type StepHandlerClass = new () => StepHandler;

/** A `handlerClass` name maps to a `StepHandler` subclass or a plain (async) function. */
export type StepHandlerRegistration = StepHandlerClass | StepHandlerFunction;

export type StepHandlerMap = Record<string, StepHandlerRegistration>;
