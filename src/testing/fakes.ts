import { PermanentError, RetryableError } from '../handlers/step-errors';
import type { StepContext, StepHandlerFunction } from '../handlers/step-handler';
import type { JsonObject, JsonValue } from '../registry/types';

/** One call of a fake step handler, as the handler saw it. */
export interface HandlerCall {
  taskId: number;
  stepId: number;
  stepName: string;
  /** The engine's attempt number for the step (1 for the first attempt). */
  attempt: number;
  /** This handler's call number for this step (1, 2, …), whatever the engine counted before. */
  call: number;
  context: JsonObject;
  inputs: JsonObject | null;
  /** When the handler was called (the local clock). */
  at: Date;
}

/** A step handler function that remembers every call. */
export interface RecordingHandler extends StepHandlerFunction {
  /** Every call so far, oldest first. */
  readonly calls: readonly HandlerCall[];
  /** How many times the handler has been called. */
  readonly count: number;
  /** The calls for one step name. */
  callsFor(stepName: string): HandlerCall[];
  /** Forgets the calls (and restarts the failure counts of `failingHandler`/`retryAfterHandler`). */
  reset(): void;
}

/** What a fake returns once it succeeds: a value stored as the step's results, or a function computing it. */
export type FakeResult = JsonValue | ((ctx: StepContext, call: HandlerCall) => unknown);

export interface FailingHandlerOptions {
  /** How many calls fail, for each step the handler runs, before it succeeds. */
  times: number;
  /** `'retryable'` (default) throws `RetryableError`; `'permanent'` throws `PermanentError`. */
  error?: 'retryable' | 'permanent';
  /** Message of the thrown errors; default `"<step> failed (call n of N)"`. */
  message?: string;
  /** `errorCode` of a permanent error. */
  errorCode?: string;
  /** `retryAfterSeconds` of a retryable error (overrides the backoff). */
  retryAfterSeconds?: number;
  /** The results once the failures are used up; default `{ success: true, failedCalls: times }`. */
  then?: FakeResult;
}

export interface RetryAfterHandlerOptions {
  /** The delay each failure asks for (like an HTTP Retry-After). */
  seconds: number;
  /** How many calls fail, for each step, before it succeeds; default 1. */
  times?: number;
  /** The results once the failures are used up; default `{ success: true, failedCalls: times }`. */
  then?: FakeResult;
}

/** A handler that records its calls and returns `result` (default `{ success: true }`). */
export function recordingHandler(result: FakeResult = { success: true }): RecordingHandler {
  return fakeHandler((ctx, call) => resolveResult(result, ctx, call));
}

/**
 * A handler that fails its first `times` calls for each step (by step id, so one fake can serve
 * several steps and tasks), then returns `then`. Errors are `RetryableError` or `PermanentError`.
 */
export function failingHandler(options: FailingHandlerOptions): RecordingHandler {
  const { times, error = 'retryable' } = options;
  assertCount('failingHandler', 'times', times);
  const success: FakeResult = options.then ?? { success: true, failedCalls: times };
  return fakeHandler((ctx, call) => {
    if (call.call > times) return resolveResult(success, ctx, call);
    const message = options.message ?? `${call.stepName} failed (call ${call.call} of ${times})`;
    if (error === 'permanent') throw new PermanentError(message, { errorCode: options.errorCode });
    throw new RetryableError(message, { retryAfterSeconds: options.retryAfterSeconds });
  });
}

/** A handler whose first `times` calls per step throw a `RetryableError` asking to be retried after `seconds`. */
export function retryAfterHandler(options: RetryAfterHandlerOptions): RecordingHandler {
  const times = options.times ?? 1;
  assertCount('retryAfterHandler', 'times', times);
  if (!Number.isFinite(options.seconds) || options.seconds < 0) {
    throw new RangeError(`retryAfterHandler: seconds must be a number ≥ 0, got ${options.seconds}`);
  }
  return failingHandler({
    times,
    error: 'retryable',
    retryAfterSeconds: options.seconds,
    message: `Retry after ${options.seconds} s`,
    then: options.then,
  });
}

function fakeHandler(respond: (ctx: StepContext, call: HandlerCall) => unknown): RecordingHandler {
  const calls: HandlerCall[] = [];
  const handler = async (ctx: StepContext): Promise<unknown> => {
    const call: HandlerCall = {
      taskId: ctx.task.taskId,
      stepId: ctx.step.workflowStepId,
      stepName: ctx.step.name,
      attempt: ctx.step.attempts,
      call: calls.filter((c) => c.stepId === ctx.step.workflowStepId).length + 1,
      context: ctx.task.context,
      inputs: ctx.step.inputs,
      at: new Date(),
    };
    calls.push(call);
    return respond(ctx, call);
  };
  return Object.defineProperties(handler, {
    calls: { get: () => calls, enumerable: true },
    count: { get: () => calls.length, enumerable: true },
    callsFor: { value: (stepName: string) => calls.filter((c) => c.stepName === stepName) },
    reset: { value: () => void calls.splice(0) },
  }) as RecordingHandler;
}

function resolveResult(result: FakeResult, ctx: StepContext, call: HandlerCall): unknown {
  return typeof result === 'function' ? result(ctx, call) : result;
}

function assertCount(fake: string, option: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${fake}: ${option} must be an integer ≥ 0, got ${value}`);
  }
}
