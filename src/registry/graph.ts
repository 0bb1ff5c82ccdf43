import type { DefinitionProblem } from './definition-problem';

/** What the DAG checks need from a step template. */
export interface StepNode {
  name: string;
  dependsOn: readonly string[];
}

export function findGraphProblems(steps: readonly StepNode[]): DefinitionProblem[] {
  return [
    ...duplicateStepProblems(steps),
    ...selfDependencyProblems(steps),
    ...unknownDependencyProblems(steps),
    ...cycleProblems(steps),
  ];
}

function duplicateStepProblems(steps: readonly StepNode[]): DefinitionProblem[] {
  const counts = new Map<string, number>();
  for (const { name } of steps) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts]
    .filter(([, count]) => count > 1)
    .map(([name, count]) => ({ step: name, message: `duplicate step name (declared ${count} times)` }));
}

function selfDependencyProblems(steps: readonly StepNode[]): DefinitionProblem[] {
  return steps
    .filter((step) => step.dependsOn.includes(step.name))
    .map((step) => ({ step: step.name, message: 'depends on itself' }));
}

function unknownDependencyProblems(steps: readonly StepNode[]): DefinitionProblem[] {
  const known = new Set(steps.map((step) => step.name));
  const knownList = [...known].join(', ');
  return steps.flatMap((step) =>
    step.dependsOn
      .filter((parent) => !known.has(parent))
      .map((parent) => ({
        step: step.name,
        message: `depends on unknown step '${parent}' (steps: ${knownList})`,
      })),
  );
}

function cycleProblems(steps: readonly StepNode[]): DefinitionProblem[] {
  const cycle = findCycle(steps);
  return cycle ? [{ step: cycle[0], message: `dependency cycle: ${cycle.join(' -> ')}` }] : [];
}

/**
 * The first dependency cycle, as step names in execution direction (a parent before the step
 * that depends on it), closed by repeating its first step and starting at the step declared
 * first — so the same definition always reports the same path. Self-dependencies are reported
 * on their own and not treated as cycles here.
 */
export function findCycle(steps: readonly StepNode[]): string[] | undefined {
  const children = childrenByName(steps);
  const finished = new Set<string>();
  const path: string[] = [];

  const visit = (name: string): string[] | undefined => {
    if (finished.has(name)) return undefined;
    const onPath = path.indexOf(name);
    if (onPath >= 0) return path.slice(onPath);
    path.push(name);
    for (const child of children.get(name) ?? []) {
      const cycle = visit(child);
      if (cycle) return cycle;
    }
    path.pop();
    finished.add(name);
    return undefined;
  };

  for (const step of steps) {
    const loop = visit(step.name);
    if (loop) return closeFromEarliestDeclared(loop, steps);
  }
  return undefined;
}

function childrenByName(steps: readonly StepNode[]): Map<string, string[]> {
  const children = new Map<string, string[]>();
  for (const step of steps) {
    for (const parent of new Set(step.dependsOn)) {
      if (parent === step.name) continue;
      children.set(parent, [...(children.get(parent) ?? []), step.name]);
    }
  }
  return children;
}

function closeFromEarliestDeclared(loop: string[], steps: readonly StepNode[]): string[] {
  const declared = steps.map((step) => step.name);
  const start = loop.reduce(
    (best, name, index) => (declared.indexOf(name) < declared.indexOf(loop[best]) ? index : best),
    0,
  );
  const rotated = [...loop.slice(start), ...loop.slice(0, start)];
  return [...rotated, rotated[0]];
}

/**
 * Step names in an order where every step comes after its parents (Kahn's algorithm; among
 * steps ready at the same time, the one declared first goes first). Steps on a cycle, or
 * behind one, are left out — a registered definition has none.
 */
export function topologicalOrder(steps: readonly StepNode[]): string[] {
  const indexByName = new Map<string, number>();
  steps.forEach((step, index) => {
    if (!indexByName.has(step.name)) indexByName.set(step.name, index);
  });
  const waitingOn = steps.map(() => 0);
  const children = steps.map((): number[] => []);
  steps.forEach((step, index) => {
    for (const parent of new Set(step.dependsOn)) {
      const parentIndex = indexByName.get(parent);
      if (parentIndex === undefined) continue;
      waitingOn[index] += 1;
      children[parentIndex].push(index);
    }
  });

  const ready = steps.map((_, index) => index).filter((index) => waitingOn[index] === 0);
  const order: string[] = [];
  for (let next = ready.shift(); next !== undefined; next = ready.shift()) {
    order.push(steps[next].name);
    for (const child of children[next]) {
      waitingOn[child] -= 1;
      if (waitingOn[child] === 0) insertSorted(ready, child);
    }
  }
  return order;
}

function insertSorted(sorted: number[], value: number): void {
  const at = sorted.findIndex((existing) => existing > value);
  sorted.splice(at === -1 ? sorted.length : at, 0, value);
}

/**
 * The longest chain of dependent steps (by number of steps), root first: the steps that bound how
 * fast a task of this definition can possibly finish. Ties go to the chain declared first.
 */
export function criticalPath(steps: readonly StepNode[]): string[] {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const longest = new Map<string, string[]>();
  for (const name of topologicalOrder(steps)) {
    const parents = [...new Set(byName.get(name)?.dependsOn ?? [])]
      .map((parent) => longest.get(parent) ?? [])
      .sort((a, b) => b.length - a.length);
    longest.set(name, [...(parents[0] ?? []), name]);
  }
  let best: string[] = [];
  for (const path of longest.values()) if (path.length > best.length) best = path;
  return best;
}

/** Each step's level: 0 for roots, otherwise one more than its deepest parent. */
export function dependencyLevels(steps: readonly StepNode[]): Record<string, number> {
  const byName = new Map(steps.map((step) => [step.name, step]));
  const levels: Record<string, number> = {};
  for (const name of topologicalOrder(steps)) {
    const parents = byName.get(name)?.dependsOn ?? [];
    levels[name] = parents.length === 0 ? 0 : Math.max(...parents.map((parent) => levels[parent] ?? 0)) + 1;
  }
  return levels;
}
