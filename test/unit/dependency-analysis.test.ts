import { describe, expect, it } from 'vitest';
import type { Task, WorkflowStep } from '../../src/interfaces';
import { analyzeDependencies } from '../../src/observability/dependency-analysis';
import type { StepState } from '../../src/state/states';

interface StepSpec {
  id: number;
  name: string;
  parents?: number[];
  status?: StepState;
  attempts?: number;
  retryLimit?: number;
  retryable?: boolean;
}

/** A task whose steps are given as `{ id, name, parents, status… }`; child ids are derived. */
function taskOf(specs: StepSpec[], status: Task['status'] = 'in_progress'): Task {
  const created = new Date('2025-01-01T00:00:00Z');
  const steps: WorkflowStep[] = specs.map((spec) => ({
    workflowStepId: spec.id,
    taskId: 1,
    name: spec.name,
    namedStepId: spec.id,
    status: spec.status ?? 'pending',
    dependsOn: (spec.parents ?? []).map((id) => specs.find((s) => s.id === id)?.name ?? '?'),
    parentIds: spec.parents ?? [],
    childIds: specs.filter((s) => s.parents?.includes(spec.id)).map((s) => s.id),
    retryable: spec.retryable ?? true,
    retryLimit: spec.retryLimit ?? 3,
    attempts: spec.attempts ?? 0,
    inProcess: false,
    processed: spec.status === 'complete',
    processedAt: null,
    lastAttemptedAt: null,
    backoffRequestSeconds: null,
    inputs: {},
    results: null,
    skippable: false,
    timeoutSeconds: null,
    createdAt: created,
    updatedAt: created,
  }));
  return {
    taskId: 1,
    name: 'flow',
    namespace: 'test',
    version: '1.0.0',
    fullName: 'test.flow@1.0.0',
    status,
    complete: status === 'complete',
    requestedAt: created,
    initiator: 'test',
    sourceSystem: 'test',
    reason: 'test',
    tags: [],
    bypassSteps: [],
    context: {},
    identityHash: 'h',
    createdAt: created,
    updatedAt: created,
    steps,
  };
}

const NOW = new Date('2025-06-01T12:00:00Z');

describe('analyzeDependencies', () => {
  it('puts each step of a linear chain on its own level, on a single critical path', () => {
    const analysis = analyzeDependencies(
      taskOf([
        { id: 1, name: 'a', status: 'complete' },
        { id: 2, name: 'b', parents: [1] },
        { id: 3, name: 'c', parents: [2] },
      ]),
      NOW,
    );

    expect(analysis.dependency_graph).toEqual({
      nodes: [
        { id: 1, name: 'a', level: 0 },
        { id: 2, name: 'b', level: 1 },
        { id: 3, name: 'c', level: 2 },
      ],
      edges: [
        { from: 1, to: 2, from_name: 'a', to_name: 'b' },
        { from: 2, to: 3, from_name: 'b', to_name: 'c' },
      ],
      dependency_levels: { a: 0, b: 1, c: 2 },
    });
    expect(analysis.critical_paths).toEqual({
      longest_path_length: 3,
      paths: [{ path: [1, 2, 3], step_names: ['a', 'b', 'c'], length: 3, completion_percentage: 33.3 }],
      root_nodes: [1],
      leaf_nodes: [3],
    });
    expect(analysis.parallelism_opportunities.max_parallel_steps).toBe(1);
    expect(analysis.parallelism_opportunities.levels.map((level) => level.ready_steps)).toEqual([0, 1, 0]);
    expect(analysis.task_execution_summary).toEqual({
      total_steps: 3,
      total_dependencies: 2,
      dependency_levels: 3,
      longest_path_length: 3,
      error_chains_count: 0,
      overall_health: 'healthy',
    });
    expect(analysis.analysis_timestamp).toBe('2025-06-01T12:00:00.000Z');
  });

  it('finds the two parallel branches of a diamond and both paths through it', () => {
    const analysis = analyzeDependencies(
      taskOf([
        { id: 10, name: 'start', status: 'complete' },
        { id: 11, name: 'left', parents: [10], status: 'complete' },
        { id: 12, name: 'right', parents: [10], status: 'in_progress' },
        { id: 13, name: 'join', parents: [11, 12] },
      ]),
      NOW,
    );

    expect(analysis.dependency_graph.dependency_levels).toEqual({ start: 0, left: 1, right: 1, join: 2 });
    expect(analysis.task_execution_summary.total_dependencies).toBe(4);
    expect(analysis.critical_paths.paths).toEqual([
      { path: [10, 11, 13], step_names: ['start', 'left', 'join'], length: 3, completion_percentage: 66.7 },
      { path: [10, 12, 13], step_names: ['start', 'right', 'join'], length: 3, completion_percentage: 33.3 },
    ]);
    expect(analysis.critical_paths.root_nodes).toEqual([10]);
    expect(analysis.critical_paths.leaf_nodes).toEqual([13]);
    expect(analysis.parallelism_opportunities).toEqual({
      total_levels: 3,
      max_parallel_steps: 2,
      levels: [
        {
          level: 0,
          total_steps: 1,
          ready_steps: 0,
          completed_steps: 1,
          error_steps: 0,
          step_names: ['start'],
        },
        {
          level: 1,
          total_steps: 2,
          ready_steps: 0,
          completed_steps: 1,
          error_steps: 0,
          step_names: ['left', 'right'],
        },
        {
          level: 2,
          total_steps: 1,
          ready_steps: 0,
          completed_steps: 0,
          error_steps: 0,
          step_names: ['join'],
        },
      ],
    });
  });

  it('takes the longest route to decide a level when a step has parents at different depths', () => {
    const analysis = analyzeDependencies(
      taskOf([
        { id: 1, name: 'a' },
        { id: 2, name: 'b', parents: [1] },
        { id: 3, name: 'c', parents: [2] },
        { id: 4, name: 'd', parents: [1, 3] },
      ]),
      NOW,
    );

    expect(analysis.dependency_graph.dependency_levels.d).toBe(3);
    expect(analysis.critical_paths.paths.map((path) => path.step_names)).toEqual([
      ['a', 'b', 'c', 'd'],
      ['a', 'd'],
    ]);
  });

  it('traces what a failed step in the middle holds up, and calls an exhausted one critical', () => {
    const steps: StepSpec[] = [
      { id: 1, name: 'fetch', status: 'complete' },
      { id: 2, name: 'transform', parents: [1], status: 'error', attempts: 3, retryLimit: 3 },
      { id: 3, name: 'load', parents: [2] },
      { id: 4, name: 'notify', parents: [3] },
      { id: 5, name: 'audit', parents: [1] },
    ];
    const analysis = analyzeDependencies(taskOf(steps, 'error'), NOW);

    expect(analysis.error_chains).toEqual({
      total_error_steps: 1,
      error_chains: [
        {
          error_step_id: 2,
          error_step_name: 'transform',
          attempts: 3,
          retry_limit: 3,
          retryable: true,
          will_retry: false,
          downstream_steps: ['load', 'notify'],
          total_downstream_steps: 2,
        },
      ],
    });
    expect(analysis.parallelism_opportunities.levels[1]).toMatchObject({
      total_steps: 2,
      ready_steps: 1,
      error_steps: 1,
      step_names: ['transform', 'audit'],
    });
    expect(analysis.task_execution_summary).toMatchObject({
      error_chains_count: 1,
      overall_health: 'critical',
    });
  });

  it('only warns about a failed step that will still be retried', () => {
    const analysis = analyzeDependencies(
      taskOf([
        { id: 1, name: 'a', status: 'complete' },
        { id: 2, name: 'b', parents: [1], status: 'error', attempts: 1, retryLimit: 3 },
        { id: 3, name: 'c', parents: [2] },
      ]),
      NOW,
    );

    expect(analysis.error_chains.error_chains[0]).toMatchObject({
      will_retry: true,
      downstream_steps: ['c'],
    });
    expect(analysis.task_execution_summary.overall_health).toBe('warning');
  });

  it('keeps the five longest of exponentially many paths', () => {
    // Ten layers of two steps, each step depending on both steps of the layer before: 2^10 paths.
    const specs: StepSpec[] = [];
    for (let layer = 0; layer < 10; layer += 1) {
      for (const side of [1, 2]) {
        const parents = layer === 0 ? [] : [layer * 2 - 1, layer * 2];
        specs.push({ id: layer * 2 + side, name: `l${layer}_${side}`, parents });
      }
    }
    const analysis = analyzeDependencies(taskOf(specs), NOW);

    expect(analysis.critical_paths.paths).toHaveLength(5);
    expect(analysis.critical_paths.paths.every((path) => path.length === 10)).toBe(true);
    expect(new Set(analysis.critical_paths.paths.map((path) => path.path.join())).size).toBe(5);
    expect(analysis.parallelism_opportunities).toMatchObject({ total_levels: 10, max_parallel_steps: 2 });
    expect(analysis.critical_paths.root_nodes).toEqual([1, 2]);
    expect(analysis.critical_paths.leaf_nodes).toEqual([19, 20]);
  });
});
