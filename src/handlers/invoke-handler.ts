import { ConfigurationError } from '../errors';
import type { JsonValue } from '../registry/types';
import { PermanentError } from './step-errors';
import type {
  StepContext,
  StepHandlerClass,
  StepHandlerFunction,
  StepHandlerRegistration,
} from './step-handler';

export type InvokableStepHandler = (ctx: StepContext) => Promise<unknown>;

export const RESULTS_NOT_SERIALISABLE = 'RESULTS_NOT_SERIALISABLE';

/**
 * One calling convention for both kinds of registration. A class gets a fresh instance per call,
 * so handlers may keep per-attempt state in fields; a synchronous throw becomes a rejection.
 */
export function resolveStepHandler(
  registration: StepHandlerRegistration,
  handlerClass = 'step handler',
): InvokableStepHandler {
  if (isStepHandlerClass(registration)) {
    return async (ctx) => new registration().process(ctx);
  }
  if (typeof registration === 'function' && !isClassSyntax(registration)) {
    return async (ctx) => registration(ctx);
  }
  throw new ConfigurationError(
    `${handlerClass} must be a StepHandler subclass with a process method or a function`,
  );
}

function isStepHandlerClass(registration: unknown): registration is StepHandlerClass {
  if (typeof registration !== 'function') return false;
  const prototype: unknown = registration.prototype;
  return (
    typeof prototype === 'object' &&
    prototype !== null &&
    typeof (prototype as { process?: unknown }).process === 'function'
  );
}

/** A class without `process` cannot be called as a function: reject it now, not at the first step. */
function isClassSyntax(fn: StepHandlerFunction): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/**
 * A handler's return value as it can be stored in a jsonb column: what `JSON.stringify` keeps,
 * plus BigInts (as strings), Maps (as objects) and Sets (as arrays). A value that cannot be
 * serialised (a cycle) fails the step permanently, since every retry would return it again.
 */
export function toStoredResults(value: unknown): JsonValue | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, serialisable);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new PermanentError(`step results are not serialisable: ${reason}`, {
      errorCode: RESULTS_NOT_SERIALISABLE,
      cause: error,
    });
  }
  return text === undefined ? null : jsonbSafe(JSON.parse(text) as JsonValue);
}

function serialisable(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map)
    return Object.fromEntries(Array.from(value, ([key, item]) => [String(key), item]));
  if (value instanceof Set) return Array.from(value);
  return value;
}

const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** jsonb rejects NUL and unpaired surrogates, which JSON allows: they become U+FFFD rather than fail the step. */
function jsonbSafeString(text: string): string {
  return text.replaceAll('\u0000', '\ufffd').replace(UNPAIRED_SURROGATE, '\ufffd');
}

function jsonbSafe(value: JsonValue): JsonValue {
  if (typeof value === 'string') return jsonbSafeString(value);
  if (Array.isArray(value)) return value.map(jsonbSafe);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [jsonbSafeString(key), jsonbSafe(item)]),
  );
}
