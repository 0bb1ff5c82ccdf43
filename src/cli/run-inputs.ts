import fs from 'node:fs';
import type { JsonObject, TaskDefinition } from '../registry/types';
import { loadTaskDefinitionDirectory, loadTaskDefinitionFile } from '../registry/yaml';
import { UsageError } from './usage-error';

export interface TaskReference {
  namespace: string;
  name: string;
}

/** `<namespace>/<name>`, or `<name>` in the `default` namespace. */
export function parseTaskReference(reference: string): TaskReference {
  const parts = reference.split('/');
  const valid = parts.length <= 2 && parts.every((part) => part.trim() !== '' && part === part.trim());
  if (!valid) throw new UsageError(`Expected <namespace>/<name>, got "${reference}"`);
  const [namespace, name] = parts.length === 2 ? parts : ['default', parts[0]];
  return { namespace, name };
}

/** The task context from a JSON file (`-` reads standard input); it must be a JSON object. */
export function readContextFile(file: string): JsonObject {
  let text: string;
  try {
    text = fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    throw new UsageError(`Cannot read the context file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let context: unknown;
  try {
    context = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The context file ${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (typeof context !== 'object' || context === null || Array.isArray(context)) {
    throw new UsageError(`The context file ${file} must contain a JSON object`);
  }
  return context as JsonObject;
}

/** YAML definitions from one file or every `*.yaml`/`*.yml` under a folder. */
export function loadDefinitions(location: string): TaskDefinition[] {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(location);
  } catch (error) {
    throw new UsageError(`Cannot read task definitions from ${location}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return stats.isDirectory() ? loadTaskDefinitionDirectory(location) : [loadTaskDefinitionFile(location)];
}
