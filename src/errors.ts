/**
 * Typed errors. Every error the engine raises on purpose carries a stable `code`; the HTTP and
 * GraphQL layers map codes to status codes and `extensions.code` in one place each.
 */
export type TaskerErrorCode =
  | 'INVALID_DEFINITION'
  | 'INVALID_REQUEST'
  | 'CONTEXT_INVALID'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'ILLEGAL_TRANSITION'
  | 'CONFIGURATION'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN';

export class TaskerError extends Error {
  readonly code: TaskerErrorCode;

  constructor(code: TaskerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A task definition (YAML or `defineTask`) that cannot be registered. */
export class DefinitionError extends TaskerError {
  readonly task: string;
  readonly step: string | undefined;

  constructor(task: string, message: string, step?: string) {
    super('INVALID_DEFINITION', `Task definition ${task}${step ? `, step '${step}'` : ''}: ${message}`);
    this.task = task;
    this.step = step;
  }
}

/** A request that is malformed independently of any task definition (missing name, bad types…). */
export class InvalidRequestError extends TaskerError {
  readonly details: ValidationDetail[];

  constructor(message: string, details: ValidationDetail[] = []) {
    super('INVALID_REQUEST', message);
    this.details = details;
  }
}

export interface ValidationDetail {
  /** JSON pointer into the validated document (`''` is the document itself). */
  path: string;
  message: string;
}

/** The task context does not satisfy the definition's JSON Schema; nothing was written. */
export class ContextValidationError extends TaskerError {
  readonly details: ValidationDetail[];

  constructor(task: string, details: ValidationDetail[]) {
    super(
      'CONTEXT_INVALID',
      `Context for ${task} is invalid: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`,
    );
    this.details = details;
  }
}

export class NotFoundError extends TaskerError {
  constructor(message: string) {
    super('NOT_FOUND', message);
  }
}

/** A task with the same identity already exists (REST 409, GraphQL CONFLICT). */
export class TaskConflictError extends TaskerError {
  readonly identityHash: string;

  constructor(identityHash: string) {
    super('CONFLICT', `A task with identity ${identityHash} already exists`);
    this.identityHash = identityHash;
  }
}

/** A state change the transition table or a guard forbids. */
export class IllegalTransitionError extends TaskerError {
  readonly entity: 'task' | 'step';
  readonly id: string;
  readonly fromState: string;
  readonly toState: string;

  constructor(entity: 'task' | 'step', id: string, fromState: string, toState: string, reason: string) {
    super(
      'ILLEGAL_TRANSITION',
      `Cannot transition ${entity} ${id} from '${fromState}' to '${toState}': ${reason}`,
    );
    this.entity = entity;
    this.id = id;
    this.fromState = fromState;
    this.toState = toState;
  }
}

export class ConfigurationError extends TaskerError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CONFIGURATION', message, options);
  }
}
