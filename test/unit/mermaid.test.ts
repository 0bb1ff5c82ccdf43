import { describe, expect, it } from 'vitest';
import type { Task, WorkflowStep } from '../../src/interfaces';
import { taskDiagram } from '../../src/observability/mermaid';
import type { StepState } from '../../src/state/states';

function taskOf(steps: Array<{ id: number; name: string; parents?: number[]; status: StepState }>): Task {
  const at = new Date('2025-01-01T00:00:00Z');
  return {
    taskId: 7,
    name: 'process_order',
    namespace: 'shop',
    version: '1.0.0',
    fullName: 'shop.process_order@1.0.0',
    status: 'in_progress',
    complete: false,
    requestedAt: at,
    initiator: 'test',
    sourceSystem: 'test',
    reason: 'test',
    tags: [],
    bypassSteps: [],
    context: {},
    identityHash: 'h',
    createdAt: at,
    updatedAt: at,
    steps: steps.map((step): WorkflowStep => ({
      workflowStepId: step.id,
      taskId: 7,
      name: step.name,
      namedStepId: step.id,
      status: step.status,
      dependsOn: [],
      parentIds: step.parents ?? [],
      childIds: steps.filter((other) => other.parents?.includes(step.id)).map((other) => other.id),
      retryable: true,
      retryLimit: 3,
      attempts: 0,
      inProcess: false,
      processed: false,
      processedAt: null,
      lastAttemptedAt: null,
      backoffRequestSeconds: null,
      inputs: {},
      results: null,
      skippable: false,
      timeoutSeconds: null,
      createdAt: at,
      updatedAt: at,
    })),
  };
}

describe('taskDiagram', () => {
  const diamond = taskOf([
    { id: 1, name: 'validate', status: 'complete' },
    { id: 2, name: 'charge', parents: [1], status: 'error' },
    { id: 3, name: 'reserve', parents: [1], status: 'in_progress' },
    { id: 4, name: 'ship', parents: [2, 3], status: 'pending' },
  ]);

  it('draws a top-down flowchart with one node per step inside a subgraph for the task', () => {
    const lines = taskDiagram(diamond).split('\n');
    expect(lines[0]).toBe('flowchart TD');
    expect(lines[1]).toBe('  subgraph task7["Task 7#58; shop.process_order@1.0.0 (in_progress)"]');
    expect(lines.slice(2, 7)).toEqual([
      '    s1["validate<br/>complete"]',
      '    s2["charge<br/>error"]',
      '    s3["reserve<br/>in_progress"]',
      '    s4["ship<br/>pending"]',
      '  end',
    ]);
  });

  it('draws an edge from every parent to its child', () => {
    const edges = taskDiagram(diamond)
      .split('\n')
      .filter((line) => line.includes('-->'));
    expect(edges).toEqual(['  s1 --> s2', '  s1 --> s3', '  s2 --> s4', '  s3 --> s4']);
  });

  it('defines a class for every step state and gives each node the class of its state', () => {
    const lines = taskDiagram(diamond).split('\n');
    for (const state of ['pending', 'in_progress', 'complete', 'error', 'cancelled', 'resolved_manually']) {
      expect(lines.filter((line) => line.startsWith(`  classDef ${state} fill:#`))).toHaveLength(1);
    }
    expect(lines.filter((line) => line.startsWith('  class '))).toEqual([
      '  class s4 pending',
      '  class s3 in_progress',
      '  class s1 complete',
      '  class s2 error',
    ]);
  });

  it('groups the nodes that share a state on one class line', () => {
    const diagram = taskDiagram(
      taskOf([
        { id: 5, name: 'a', status: 'cancelled' },
        { id: 6, name: 'b', status: 'cancelled' },
        { id: 8, name: 'c', status: 'resolved_manually' },
      ]),
    );
    expect(diagram).toContain('\n  class s5,s6 cancelled');
    expect(diagram).toContain('\n  class s8 resolved_manually');
  });

  it('keeps odd step names from breaking out of their quoted label', () => {
    const diagram = taskDiagram(
      taskOf([{ id: 9, name: 'say "hi"]; end\nclick s9 <b>#x</b> & more:', status: 'pending' }]),
    );
    const node = diagram.split('\n').find((line) => line.startsWith('    s9'));
    expect(node).toBe(
      '    s9["say #34;hi#34;#93;#59; end#10;click s9 #60;b#62;#35;x#60;/b#62; #38; more#58;<br/>pending"]',
    );
    expect(diagram.split('\n').filter((line) => line.startsWith('click'))).toEqual([]);
  });

  it('keeps letters of any alphabet readable', () => {
    const diagram = taskDiagram(taskOf([{ id: 1, name: 'überprüfen_注文', status: 'pending' }]));
    expect(diagram).toContain('s1["überprüfen_注文<br/>pending"]');
  });
});
