/**
 * Errors a step handler throws to say how its failure should be treated. Any other error is
 * retryable. Every class carries a `kind` so that errors thrown by another copy of this package
 * (a second install in node_modules, another realm) classify the same as ours: `instanceof`
 * alone would miss them.
 */
export const STEP_ERROR_KINDS = {
  retryable: 'tasker.retryable',
  permanent: 'tasker.permanent',
  timeout: 'tasker.step_timeout',
  cancelled: 'tasker.step_cancelled',
} as const;

export type StepErrorKind = (typeof STEP_ERROR_KINDS)[keyof typeof STEP_ERROR_KINDS];

export interface RetryableErrorOptions {
  /** Delay the retry by this many seconds (e.g. a server's Retry-After) instead of the backoff. */
  retryAfterSeconds?: number;
  context?: Record<string, unknown>;
  cause?: unknown;
}

export interface PermanentErrorOptions {
  errorCode?: string;
  context?: Record<string, unknown>;
  cause?: unknown;
}

/** The step failed but may succeed later: it is retried until its retry limit. */
export class RetryableError extends Error {
  readonly kind = STEP_ERROR_KINDS.retryable;
  readonly retryAfterSeconds: number | null;
  readonly context: Record<string, unknown> | null;

  constructor(message: string, options: RetryableErrorOptions = {}) {
    super(message, causeOption(options));
    this.name = new.target.name;
    this.retryAfterSeconds = options.retryAfterSeconds ?? null;
    this.context = options.context ?? null;
  }
}

/** The step can never succeed with these inputs: it fails now, with no further attempts. */
export class PermanentError extends Error {
  readonly kind = STEP_ERROR_KINDS.permanent;
  readonly errorCode: string | null;
  readonly context: Record<string, unknown> | null;

  constructor(message: string, options: PermanentErrorOptions = {}) {
    super(message, causeOption(options));
    this.name = new.target.name;
    this.errorCode = options.errorCode ?? null;
    this.context = options.context ?? null;
  }
}

/** The step ran longer than its `timeoutSeconds`; retryable, since a later attempt may be faster. */
export class StepTimeoutError extends Error {
  readonly kind = STEP_ERROR_KINDS.timeout;
  readonly timeoutSeconds: number;

  constructor(timeoutSeconds: number) {
    super(`Step timed out after ${timeoutSeconds} seconds`);
    this.name = new.target.name;
    this.timeoutSeconds = timeoutSeconds;
  }
}

/** The step was aborted because its task was cancelled; retrying it would undo the cancellation. */
export class StepCancelledError extends Error {
  readonly kind = STEP_ERROR_KINDS.cancelled;

  constructor(message = 'Step was cancelled') {
    super(message);
    this.name = new.target.name;
  }
}

function causeOption(options: { cause?: unknown }): ErrorOptions | undefined {
  return 'cause' in options ? { cause: options.cause } : undefined;
}

export const STEP_CANCELLED_ERROR_CODE = 'STEP_CANCELLED';
export const DEFAULT_MAX_RETRY_AFTER_SECONDS = 3600;
const MAX_BACKTRACE_LINES = 10;

/** How the executor should record a failed attempt. */
export interface StepFailure {
  kind: 'retryable' | 'permanent';
  /** A valid delay the handler asked for, capped; `null` means "use the backoff". */
  retryAfterSeconds: number | null;
  errorClass: string;
  message: string;
  errorCode: string | null;
  context: Record<string, unknown> | null;
  backtrace: string[];
}

interface ErrorLike {
  name: string;
  message: string;
  stack?: unknown;
  kind?: unknown;
  retryAfterSeconds?: unknown;
  errorCode?: unknown;
  context?: unknown;
}

export function classifyStepError(
  error: unknown,
  maxRetryAfterSeconds: number = DEFAULT_MAX_RETRY_AFTER_SECONDS,
): StepFailure {
  if (!isErrorLike(error)) {
    return {
      kind: 'retryable',
      retryAfterSeconds: null,
      errorClass: 'NonError',
      message: describeThrownValue(error),
      errorCode: null,
      context: null,
      backtrace: [],
    };
  }
  const kind = stepErrorKind(error);
  return {
    kind:
      kind === STEP_ERROR_KINDS.permanent || kind === STEP_ERROR_KINDS.cancelled ? 'permanent' : 'retryable',
    retryAfterSeconds:
      kind === STEP_ERROR_KINDS.retryable ? cappedDelay(error.retryAfterSeconds, maxRetryAfterSeconds) : null,
    errorClass: error.name,
    message: error.message,
    errorCode: errorCodeOf(error, kind),
    context: kind === null ? null : contextOf(error),
    backtrace: backtraceOf(error),
  };
}

function isErrorLike(value: unknown): value is ErrorLike {
  if (value instanceof Error) return true;
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Partial<ErrorLike>;
  return typeof candidate.name === 'string' && typeof candidate.message === 'string';
}

function stepErrorKind(error: ErrorLike): StepErrorKind | null {
  const kinds: readonly unknown[] = Object.values(STEP_ERROR_KINDS);
  return kinds.includes(error.kind) ? (error.kind as StepErrorKind) : null;
}

function cappedDelay(value: unknown, maxSeconds: number): number | null {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return null;
  return Math.min(value, maxSeconds);
}

function errorCodeOf(error: ErrorLike, kind: StepErrorKind | null): string | null {
  if (kind === STEP_ERROR_KINDS.cancelled) return STEP_CANCELLED_ERROR_CODE;
  if (kind === STEP_ERROR_KINDS.permanent && typeof error.errorCode === 'string') return error.errorCode;
  return null;
}

function contextOf(error: ErrorLike): Record<string, unknown> | null {
  const { context } = error;
  if (typeof context !== 'object' || context === null || Array.isArray(context)) return null;
  return context as Record<string, unknown>;
}

/** Stack frames only: V8 prefixes the stack with "Name: message", which may span several lines. */
function backtraceOf(error: ErrorLike): string[] {
  if (typeof error.stack !== 'string') return [];
  const lines = error.stack.split('\n');
  const firstFrame = lines.findIndex((line) => /^\s+at\s/.test(line));
  const frames = firstFrame === -1 ? lines.slice(1) : lines.slice(firstFrame);
  return frames
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .slice(0, MAX_BACKTRACE_LINES);
}

/** Never throws: classification runs on the failure path, where a second error would strand the step. */
function describeThrownValue(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
