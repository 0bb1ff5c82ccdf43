import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { InvalidRequestError } from '../errors';
import type { TaskRequest } from '../interfaces';
import { DEFAULT_NAMESPACE, type JsonObject } from '../registry/types';
import { validationDetails } from './ajv-details';
import { assertStorable } from './storable-json';

const shortText = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength });

const taskRequestSchema = {
  type: 'object',
  required: ['name', 'context'],
  additionalProperties: false,
  properties: {
    name: shortText(64),
    namespace: shortText(64),
    version: shortText(64),
    context: { type: 'object' },
    initiator: shortText(128),
    sourceSystem: shortText(128),
    reason: shortText(128),
    tags: { type: 'array', items: shortText(128), maxItems: 100 },
    bypassSteps: { type: 'array', items: shortText(128), uniqueItems: true },
    requestedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const ajv = new Ajv({ allErrors: true });
addFormats(ajv);
const validateTaskRequest = ajv.compile(taskRequestSchema);

/** A task request with every default applied. */
export interface NormalizedTaskRequest {
  name: string;
  namespace: string;
  version: string;
  context: JsonObject;
  initiator: string;
  sourceSystem: string;
  reason: string;
  tags: string[];
  bypassSteps: string[];
  requestedAt: Date;
}

/** The request as plain JSON: undefined fields dropped, dates as ISO strings (invalid dates stay invalid). */
function asJson(request: unknown): unknown {
  if (request === null || typeof request !== 'object') return request;
  return Object.fromEntries(
    Object.entries(request)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [
        key,
        value instanceof Date ? (isNaN(value.getTime()) ? 'invalid' : value.toISOString()) : value,
      ]),
  );
}

/** Checks the request's shape (not the context against its schema) and applies defaults. */
export function normalizeTaskRequest(request: TaskRequest): NormalizedTaskRequest {
  if (!validateTaskRequest(asJson(request))) {
    const details = validationDetails(validateTaskRequest.errors);
    throw new InvalidRequestError(
      `Invalid task request: ${details.map((d) => `${d.path || '/'} ${d.message}`).join('; ')}`,
      details,
    );
  }
  assertStorable(request.context, 'task request', '/context');
  return {
    name: request.name,
    namespace: request.namespace ?? DEFAULT_NAMESPACE,
    version: request.version ?? 'latest',
    context: request.context,
    initiator: request.initiator ?? 'unknown',
    sourceSystem: request.sourceSystem ?? 'unknown',
    reason: request.reason ?? 'unknown',
    tags: request.tags ?? [],
    bypassSteps: request.bypassSteps ?? [],
    requestedAt: request.requestedAt ? new Date(request.requestedAt) : new Date(),
  };
}
