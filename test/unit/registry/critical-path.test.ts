import { describe, expect, it } from 'vitest';
import { criticalPath, dependencyLevels } from '../../../src/registry/graph';

const step = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('critical path of a definition', () => {
  it('is the whole chain of a linear definition', () => {
    const steps = [step('a'), step('b', 'a'), step('c', 'b')];
    expect(criticalPath(steps)).toEqual(['a', 'b', 'c']);
    expect(dependencyLevels(steps)).toEqual({ a: 0, b: 1, c: 2 });
  });

  it('follows the longest branch of a fan-out/fan-in and the first one declared on a tie', () => {
    const steps = [
      step('extract_a'),
      step('extract_b'),
      step('transform', 'extract_a', 'extract_b'),
      step('enrich', 'extract_b'),
      step('score', 'enrich'),
      step('report', 'transform', 'score'),
    ];
    expect(criticalPath(steps)).toEqual(['extract_b', 'enrich', 'score', 'report']);
    expect(dependencyLevels(steps)).toEqual({
      extract_a: 0,
      extract_b: 0,
      transform: 1,
      enrich: 1,
      score: 2,
      report: 3,
    });
    expect(criticalPath([step('x'), step('y')])).toEqual(['x']);
  });
});
