import type { Command } from 'commander';
import {
  ConfigurationError,
  ContextValidationError,
  DefinitionError,
  InvalidRequestError,
  NotFoundError,
} from '../errors';

/** Exit status for a command used wrongly: bad arguments, unreadable input files, unknown tasks. */
export const USAGE_EXIT_CODE = 2;

/** A mistake in how a command was called (its message is printed without a stack). */
export class UsageError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Whether `error` means the caller asked for something wrong, rather than that something broke. */
export function isUsageError(error: unknown): boolean {
  return (
    error instanceof UsageError ||
    error instanceof NotFoundError ||
    error instanceof ContextValidationError ||
    error instanceof InvalidRequestError ||
    error instanceof DefinitionError ||
    error instanceof ConfigurationError
  );
}

/**
 * Makes commander's own argument errors (missing argument, unknown option, bad option value) exit
 * with the usage status instead of 1. Help output still exits 0.
 */
export function exitWithUsageCode(command: Command): Command {
  return command.exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : USAGE_EXIT_CODE));
}
