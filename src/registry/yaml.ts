import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { ConfigurationError, DefinitionError } from '../errors';
import { unstorableContent } from '../orchestration/storable-json';
import { validateTaskDefinition } from './define-task';
import { definitionErrorFor } from './definition-problem';
import { applyEnvironmentOverrides } from './environment-overrides';
import { isJsonObject } from './json';
import { namedStepsProblems } from './named-steps';
import { taskLabel, taskLabelOfUnvalidated } from './task-label';
import type { JsonObject, TaskDefinition } from './types';
import { substituteVariables, type VariableSource } from './variable-substitution';
import { yamlToDefinitionInput } from './yaml-keys';

export interface YamlDefinitionOptions {
  /** Values for `${VAR}` substitution; `process.env` when omitted. */
  env?: VariableSource;
  /** Which `environments` entry applies; `process.env.NODE_ENV`, then `'development'`, when omitted. */
  nodeEnv?: string;
  /** Names the text in error messages (a file path). */
  source?: string;
}

const INLINE_SOURCE = '<inline YAML>';

/**
 * Parses one YAML task definition (the reference's snake_case keys), applies its
 * `environments` override, substitutes `${VAR}` references and validates it like `defineTask`.
 *
 * @throws DefinitionError for invalid YAML (with line and column) or an invalid definition.
 */
export function parseTaskDefinitionYaml(text: string, options: YamlDefinitionOptions = {}): TaskDefinition {
  const parsed = parseYamlMapping(text, options.source ?? INLINE_SOURCE);
  const environment = options.nodeEnv ?? process.env.NODE_ENV ?? 'development';
  const merged = applyEnvironmentOverrides(parsed, environment, labelOf(parsed));
  const document = substituteVariables(merged, options.env ?? process.env, labelOf(merged));
  const definition = validateTaskDefinition(yamlToDefinitionInput(document, labelOf(document)));
  const [problem] = namedStepsProblems(document.named_steps, definition);
  if (problem) throw definitionErrorFor(taskLabel(definition), problem);
  return definition;
}

export function loadTaskDefinitionFile(
  file: string,
  options: Omit<YamlDefinitionOptions, 'source'> = {},
): TaskDefinition {
  return parseTaskDefinitionYaml(readDefinitionFile(file), { ...options, source: file });
}

/** Every `*.yaml` / `*.yml` file under `directory`, recursively, in sorted path order. */
export function loadTaskDefinitionDirectory(
  directory: string,
  options: Omit<YamlDefinitionOptions, 'source'> = {},
): TaskDefinition[] {
  return yamlFilesUnder(directory).map((file) => loadTaskDefinitionFile(file, options));
}

function parseYamlMapping(text: string, source: string): JsonObject {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const [error] = document.errors;
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new DefinitionError(source, `invalid YAML at line ${line}, column ${col}: ${error.message}`);
  }
  const value = toPlainValue(document, source);
  // An alias inside its own anchor (`&x {a: *x}`) makes a cycle; a cycle, or absurd nesting, would
  // overflow the stack in everything that walks the definition.
  const unstorable = unstorableContent(value);
  if (unstorable) {
    throw new DefinitionError(source, `invalid YAML: ${unstorable.path || '/'} ${unstorable.message}`);
  }
  if (!isJsonObject(value)) {
    throw new DefinitionError(source, 'a YAML task definition must be a mapping of keys at the top level');
  }
  return value;
}

/** `toJS` throws on alias abuse (more than `maxAliasCount` expansions, a "billion laughs" document). */
function toPlainValue(document: ReturnType<typeof parseDocument>, source: string): unknown {
  try {
    return document.toJS();
  } catch (error) {
    throw new DefinitionError(source, `invalid YAML: ${reasonOf(error)}`);
  }
}

function labelOf(document: JsonObject): string {
  return taskLabelOfUnvalidated(document.namespace_name, document.name, document.version);
}

function readDefinitionFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`Cannot read task definition file ${file}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

function yamlFilesUnder(directory: string): string[] {
  try {
    return readdirSync(directory, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
      .map((entry) => path.join(entry.parentPath, entry.name))
      .sort();
  } catch (error) {
    throw new ConfigurationError(`Cannot read task definition directory ${directory}: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
