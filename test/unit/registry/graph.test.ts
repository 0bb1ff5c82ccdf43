import { describe, expect, it } from 'vitest';
import { findCycle, topologicalOrder } from '../../../src/registry';

const node = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('topologicalOrder', () => {
  it('puts every step after its parents', () => {
    const order = topologicalOrder([
      node('send', 'create'),
      node('create', 'charge'),
      node('charge', 'validate'),
      node('validate'),
    ]);

    expect(order).toEqual(['validate', 'charge', 'create', 'send']);
  });

  it('breaks ties between ready steps by declaration order', () => {
    const order = topologicalOrder([
      node('extract_orders'),
      node('extract_users'),
      node('transform_customers', 'extract_orders', 'extract_users'),
      node('extract_products'),
      node('transform_products', 'extract_orders', 'extract_products'),
      node('insights', 'transform_customers', 'transform_products'),
    ]);

    expect(order).toEqual([
      'extract_orders',
      'extract_users',
      'transform_customers',
      'extract_products',
      'transform_products',
      'insights',
    ]);
  });

  it('prefers the earlier-declared ready step, even one that only just became ready', () => {
    expect(topologicalOrder([node('b', 'a'), node('a'), node('c')])).toEqual(['a', 'b', 'c']);
  });

  it('is stable for a diamond', () => {
    expect(
      topologicalOrder([
        node('top'),
        node('left', 'top'),
        node('right', 'top'),
        node('bottom', 'right', 'left'),
      ]),
    ).toEqual(['top', 'left', 'right', 'bottom']);
  });

  it('leaves out steps on or behind a cycle', () => {
    expect(
      topologicalOrder([node('a'), node('b', 'a', 'c'), node('c', 'b'), node('d', 'c'), node('e', 'a')]),
    ).toEqual(['a', 'e']);
  });
});

describe('findCycle', () => {
  it('finds nothing in a DAG', () => {
    expect(findCycle([node('a'), node('b', 'a'), node('c', 'a', 'b')])).toBeUndefined();
  });

  it('returns the cycle in execution direction, closed, starting at the step declared first', () => {
    expect(findCycle([node('c', 'b'), node('a', 'c'), node('b', 'a')])).toEqual(['c', 'a', 'b', 'c']);
  });

  it('ignores the path leading into the cycle', () => {
    expect(findCycle([node('root'), node('x', 'root', 'z'), node('y', 'x'), node('z', 'y')])).toEqual([
      'x',
      'y',
      'z',
      'x',
    ]);
  });
});
