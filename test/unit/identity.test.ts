import { describe, expect, it } from 'vitest';
import type { TaskIdentityInput } from '../../src/interfaces';
import { canonicalJson, computeIdentity } from '../../src/orchestration/identity';

const identity: TaskIdentityInput = {
  name: 'process_order',
  namespace: 'ecommerce',
  version: '1.0.0',
  initiator: 'web',
  sourceSystem: 'checkout',
  reason: 'order placed',
  context: { order_id: 7, items: [{ sku: 'A', qty: 1 }] },
  bypassSteps: [],
  requestedAt: new Date('2026-11-28T10:15:20Z'),
};

describe('identity strategies', () => {
  it('default gives a fresh UUID every time', () => {
    const a = computeIdentity('default', identity);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(computeIdentity('default', identity)).not.toBe(a);
  });

  it('hash gives the same SHA-256 for the same request in the same minute, whatever the key order', () => {
    const a = computeIdentity('hash', identity);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    const reordered = { ...identity, context: { items: [{ qty: 1, sku: 'A' }], order_id: 7 } };
    expect(computeIdentity('hash', { ...reordered, requestedAt: new Date('2026-11-28T10:15:59Z') })).toBe(a);
  });

  it('hash differs when the initiator, the context, the namespace or the minute differ', () => {
    const a = computeIdentity('hash', identity);
    expect(computeIdentity('hash', { ...identity, initiator: 'api' })).not.toBe(a);
    expect(computeIdentity('hash', { ...identity, context: { order_id: 8 } })).not.toBe(a);
    expect(computeIdentity('hash', { ...identity, namespace: 'other' })).not.toBe(a);
    expect(computeIdentity('hash', { ...identity, requestedAt: new Date('2026-11-28T10:16:00Z') })).not.toBe(
      a,
    );
  });

  it('a custom strategy returns the identity itself and must return a usable string', () => {
    expect(computeIdentity((i) => `order-${String(i.context.order_id)}`, identity)).toBe('order-7');
    expect(() => computeIdentity(() => '', identity)).toThrow(/non-empty string/);
    expect(() => computeIdentity(() => 'x'.repeat(129), identity)).toThrow(/at most 128/);
  });

  it('canonical JSON sorts keys at every level', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
  });
});
