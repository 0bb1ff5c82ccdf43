import { InvalidRequestError, type ValidationDetail } from '../errors';
import type { Task } from '../interfaces';
import type { AnnotationMatch } from '../db/queries/annotations';
import { TASK_SORT_COLUMNS, type TaskListFilter, type TaskSortColumn } from '../db/queries/task-reads';
import type { JsonObject } from '../registry/types';
import { isTaskState } from '../state/states';
import { assertStorable } from './storable-json';

export const DEFAULT_TASK_LIST_LIMIT = 20;
export const MAX_TASK_LIST_LIMIT = 100;

export interface TaskListQuery {
  namespace?: string;
  name?: string;
  version?: string;
  status?: string;
  /** Default 20, at most 100 (larger values are clamped). */
  limit?: number;
  offset?: number;
  /** One of `task_id`, `created_at`, `updated_at`, `requested_at`, `name`, `namespace`, `version`, `status`, `initiator`, `source_system`, `reason`, `complete`. */
  sortBy?: string;
  sortOrder?: 'asc' | 'desc';
}

export interface TaskList {
  tasks: Task[];
  total: number;
  limit: number;
  offset: number;
}

export interface TaskChanges {
  reason?: string;
  tags?: string[];
}

export interface StepChanges {
  retryLimit?: number;
  inputs?: JsonObject;
}

function fail(message: string, details: ValidationDetail[]): never {
  throw new InvalidRequestError(message, details);
}

/** `limit` (default 20, clamped to 100) and `offset` (default 0) of a list; problems go to `details`. */
function normalizePage(
  page: { limit?: number; offset?: number },
  details: ValidationDetail[],
): { limit: number; offset: number } {
  const limit = page.limit ?? DEFAULT_TASK_LIST_LIMIT;
  const offset = page.offset ?? 0;
  if (!Number.isInteger(limit) || limit < 1)
    details.push({ path: '/limit', message: 'must be an integer ≥ 1' });
  if (!Number.isInteger(offset) || offset < 0)
    details.push({ path: '/offset', message: 'must be an integer ≥ 0' });
  return { limit: Math.min(limit, MAX_TASK_LIST_LIMIT), offset };
}

/** PostgreSQL cannot take a NUL character in a text parameter: refuse it instead of failing in the query. */
export function refuseNul(values: Record<string, string | undefined>, details: ValidationDetail[]): void {
  for (const [name, value] of Object.entries(values)) {
    if (value?.includes('\u0000')) {
      details.push({ path: `/${name}`, message: 'must not contain the NUL character (\\u0000)' });
    }
  }
}

export function normalizeTaskListQuery(query: TaskListQuery): TaskListFilter {
  const details: ValidationDetail[] = [];
  const { limit, offset } = normalizePage(query, details);
  refuseNul({ namespace: query.namespace, name: query.name, version: query.version }, details);
  const sortBy = query.sortBy ?? 'task_id';
  if (!Object.hasOwn(TASK_SORT_COLUMNS, sortBy)) {
    details.push({
      path: '/sort_by',
      message: `must be one of ${Object.keys(TASK_SORT_COLUMNS).join(', ')}`,
    });
  }
  const sortOrder = query.sortOrder ?? 'asc';
  if (sortOrder !== 'asc' && sortOrder !== 'desc')
    details.push({ path: '/sort_order', message: 'must be asc or desc' });
  if (query.status !== undefined && !isTaskState(query.status)) {
    details.push({ path: '/status', message: 'is not a task state' });
  }
  if (details.length > 0) fail('Invalid task list query', details);
  return {
    namespace: query.namespace,
    name: query.name,
    version: query.version,
    status: query.status,
    limit,
    offset,
    sortBy: sortBy as TaskSortColumn,
    sortOrder,
  };
}

export interface AnnotationQuery {
  /** Annotation type name. */
  annotationType: string;
  /** Top-level key of the annotation object. */
  key: string;
  /** Compared with the key's value as text. */
  value: string;
  /** Default 20, at most 100 (larger values are clamped). */
  limit?: number;
  offset?: number;
}

export function normalizeAnnotationQuery(query: AnnotationQuery): AnnotationMatch {
  const details: ValidationDetail[] = [];
  const { limit, offset } = normalizePage(query, details);
  refuseNul(
    { annotationType: query.annotationType, annotationKey: query.key, annotationValue: query.value },
    details,
  );
  if (details.length > 0) fail('Invalid annotation query', details);
  return { annotationType: query.annotationType, key: query.key, value: query.value, limit, offset };
}

export function validateTaskChanges(changes: TaskChanges): TaskChanges {
  const details: ValidationDetail[] = [];
  if (changes.reason !== undefined && (typeof changes.reason !== 'string' || changes.reason.length > 128)) {
    details.push({ path: '/reason', message: 'must be a string of at most 128 characters' });
  }
  if (
    changes.tags !== undefined &&
    (!Array.isArray(changes.tags) ||
      changes.tags.length > 100 ||
      changes.tags.some((tag) => typeof tag !== 'string' || tag.length > 128))
  ) {
    details.push({
      path: '/tags',
      message: 'must be an array of at most 100 strings of at most 128 characters',
    });
  }
  if (details.length > 0) fail('Invalid task changes', details);
  return { reason: changes.reason, tags: changes.tags };
}

export function validateStepChanges(changes: StepChanges): StepChanges {
  const details: ValidationDetail[] = [];
  const { retryLimit, inputs } = changes;
  if (retryLimit !== undefined && (!Number.isInteger(retryLimit) || retryLimit < 1 || retryLimit > 1000)) {
    details.push({ path: '/retry_limit', message: 'must be an integer from 1 to 1000' });
  }
  if (inputs !== undefined && (inputs === null || typeof inputs !== 'object' || Array.isArray(inputs))) {
    details.push({ path: '/inputs', message: 'must be a JSON object' });
  }
  if (details.length > 0) fail('Invalid step changes', details);
  assertStorable(inputs, 'step changes', '/inputs');
  return { retryLimit, inputs };
}
