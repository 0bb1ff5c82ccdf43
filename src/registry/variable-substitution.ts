import { DefinitionError } from '../errors';
import { isJsonObject, mapJsonObject } from './json';
import type { JsonObject, JsonValue } from './types';

export type VariableSource = Readonly<Record<string, string | undefined>>;

type Path = readonly (string | number)[];

interface Substitution {
  variables: VariableSource;
  task: string;
  document: JsonObject;
}

const REFERENCE = /\$?\$\{([^}]*)\}/g;
const EXPRESSION = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Replaces `${VAR}` (the variable's value) and `${VAR:-default}` (the default when VAR is unset
 * or empty) in every string value of a parsed YAML definition; `$${VAR}` stays a literal `${VAR}`.
 * It runs on parsed values rather than on the YAML text, so a value cannot inject YAML syntax,
 * and a substituted value is always a string.
 *
 * @throws DefinitionError for an unset variable without default or a malformed reference.
 */
export function substituteVariables(
  document: JsonObject,
  variables: VariableSource,
  task: string,
): JsonObject {
  return substituteInObject(document, [], { variables, task, document });
}

function substituteInValue(value: JsonValue, path: Path, substitution: Substitution): JsonValue {
  if (typeof value === 'string') return substituteInString(value, path, substitution);
  if (Array.isArray(value))
    return value.map((item, index) => substituteInValue(item, [...path, index], substitution));
  if (isJsonObject(value)) return substituteInObject(value, path, substitution);
  return value;
}

function substituteInObject(object: JsonObject, path: Path, substitution: Substitution): JsonObject {
  return mapJsonObject(object, (value, key) => substituteInValue(value, [...path, key], substitution));
}

function substituteInString(text: string, path: Path, substitution: Substitution): string {
  return text.replace(REFERENCE, (reference: string, expression: string) => {
    if (reference.startsWith('$$')) return reference.slice(1);
    const match = EXPRESSION.exec(expression);
    if (!match) {
      throw substitutionError(
        `invalid variable reference '${reference}' (expected \${NAME} or \${NAME:-default})`,
        path,
        substitution,
      );
    }
    const [, name, fallback] = match;
    const value = Object.hasOwn(substitution.variables, name) ? substitution.variables[name] : undefined;
    if (fallback !== undefined && (value === undefined || value === '')) return fallback;
    if (value === undefined) {
      throw substitutionError(
        `environment variable '${name}' is not set and has no default`,
        path,
        substitution,
      );
    }
    return value;
  });
}

function substitutionError(message: string, path: Path, { task, document }: Substitution): DefinitionError {
  return new DefinitionError(task, `${message} (at ${jsonPointer(path)})`, stepNameAt(path, document));
}

function stepNameAt([section, index]: Path, document: JsonObject): string | undefined {
  if (section !== 'step_templates' || typeof index !== 'number') return undefined;
  const templates = document.step_templates;
  const template = Array.isArray(templates) ? templates[index] : undefined;
  return isJsonObject(template) && typeof template.name === 'string' ? template.name : undefined;
}

function jsonPointer(path: Path): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}
