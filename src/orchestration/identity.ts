import { createHash, randomUUID } from 'node:crypto';
import { ConfigurationError } from '../errors';
import type { IdentityStrategy, TaskIdentityInput } from '../interfaces';

const MAX_IDENTITY_LENGTH = 128;

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `YYYY-MM-DD HH:MM` in UTC: the window inside which the hash strategy treats requests as duplicates. */
function requestMinute(date: Date): string {
  return date.toISOString().slice(0, 16).replace('T', ' ');
}

export function hashIdentity(identity: TaskIdentityInput): string {
  const material = canonicalJson({
    name: identity.name,
    namespace: identity.namespace,
    version: identity.version,
    initiator: identity.initiator,
    source_system: identity.sourceSystem,
    reason: identity.reason,
    context: identity.context,
    bypass_steps: identity.bypassSteps,
    requested_at: requestMinute(identity.requestedAt),
  });
  return createHash('sha256').update(material).digest('hex');
}

export function computeIdentity(strategy: IdentityStrategy, identity: TaskIdentityInput): string {
  if (strategy === 'default') return randomUUID();
  if (strategy === 'hash') return hashIdentity(identity);
  const custom: unknown = strategy(identity);
  if (typeof custom !== 'string' || custom.length === 0 || custom.length > MAX_IDENTITY_LENGTH) {
    throw new ConfigurationError(
      `The custom identity strategy must return a non-empty string of at most ${MAX_IDENTITY_LENGTH} characters`,
    );
  }
  return custom;
}
