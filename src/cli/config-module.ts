import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigurationError } from '../errors';
import type { TaskerOptions } from '../interfaces';

/**
 * Loads a project's Tasker configuration: a CommonJS or ES module whose default export (or
 * `module.exports`) is the options object, or a (possibly async) function returning it.
 */
export async function loadConfigModule(file: string): Promise<TaskerOptions> {
  const absolute = path.resolve(file);
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(absolute).href);
  } catch (error) {
    throw new ConfigurationError(`Could not load the Tasker config module ${absolute}`, { cause: error });
  }
  let exported = (loaded as { default?: unknown }).default ?? loaded;
  if (typeof exported === 'function') exported = await (exported as () => unknown)();
  if (exported === null || typeof exported !== 'object') {
    throw new ConfigurationError(`The Tasker config module ${absolute} must export an options object`);
  }
  return exported as TaskerOptions;
}
