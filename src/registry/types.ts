/** JSON values as stored in jsonb columns. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface CustomEventDeclaration {
  name: string;
  description?: string;
}

/** One step template as written by users in TypeScript (`defineTask`). YAML uses the snake_case keys. */
export interface StepTemplateInput {
  name: string;
  description?: string;
  dependentSystem?: string;
  handlerClass: string;
  handlerConfig?: JsonObject | null;
  dependsOnStep?: string | null;
  dependsOnSteps?: string[];
  defaultRetryable?: boolean;
  defaultRetryLimit?: number;
  skippable?: boolean;
  timeoutSeconds?: number | null;
  customEvents?: CustomEventDeclaration[];
}

/** A task definition as written by users in TypeScript (`defineTask`). */
export interface TaskDefinitionInput {
  name: string;
  namespaceName?: string;
  version?: string;
  description?: string;
  defaultDependentSystem?: string;
  /** JSON Schema the task context must satisfy. */
  schema?: JsonObject | null;
  stepTemplates: StepTemplateInput[];
  customEvents?: CustomEventDeclaration[];
}

/** A step template after validation, with every default applied. */
export interface StepTemplate {
  name: string;
  description: string;
  dependentSystem: string;
  handlerClass: string;
  handlerConfig: JsonObject | null;
  /** Parent step names: `dependsOnStep` ∪ `dependsOnSteps`, deduplicated, in declaration order. */
  dependsOn: string[];
  defaultRetryable: boolean;
  defaultRetryLimit: number;
  skippable: boolean;
  timeoutSeconds: number | null;
  customEvents: CustomEventDeclaration[];
}

/** A validated task definition, immutable once registered. */
export interface TaskDefinition {
  name: string;
  namespaceName: string;
  version: string;
  description: string;
  defaultDependentSystem: string;
  schema: JsonObject | null;
  stepTemplates: readonly StepTemplate[];
  customEvents: CustomEventDeclaration[];
}

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_VERSION = '0.1.0';
export const DEFAULT_DEPENDENT_SYSTEM = 'unknown';
export const DEFAULT_RETRY_LIMIT = 3;
