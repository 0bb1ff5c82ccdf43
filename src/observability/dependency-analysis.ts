import type { Task, WorkflowStep } from '../interfaces';
import { topologicalOrder } from '../registry/graph';
import { DEPENDENCY_SATISFYING_STEP_STATES } from '../state/states';

const MAX_CRITICAL_PATHS = 5;

export type OverallHealth = 'healthy' | 'warning' | 'critical';

export interface DependencyAnalysis {
  dependency_graph: {
    nodes: Array<{ id: number; name: string; level: number }>;
    edges: Array<{ from: number; to: number; from_name: string; to_name: string }>;
    /** Step name → level (the longest path from a root step, in edges; roots are level 0). */
    dependency_levels: Record<string, number>;
  };
  critical_paths: {
    /** Steps on the longest root → leaf path. */
    longest_path_length: number;
    /** The (at most five) longest root → leaf paths, longest first. */
    paths: CriticalPath[];
    root_nodes: number[];
    leaf_nodes: number[];
  };
  parallelism_opportunities: {
    total_levels: number;
    /** Steps on the widest level: how many could run at once at best. */
    max_parallel_steps: number;
    levels: ParallelLevel[];
  };
  error_chains: {
    total_error_steps: number;
    error_chains: ErrorChain[];
  };
  task_execution_summary: {
    total_steps: number;
    total_dependencies: number;
    dependency_levels: number;
    longest_path_length: number;
    error_chains_count: number;
    overall_health: OverallHealth;
  };
  analysis_timestamp: string;
}

export interface CriticalPath {
  /** Step ids, root first. */
  path: number[];
  step_names: string[];
  /** Steps on the path. */
  length: number;
  /** Share of the path's steps that are complete or resolved manually (0–100). */
  completion_percentage: number;
}

export interface ParallelLevel {
  level: number;
  total_steps: number;
  /** Pending steps whose parents are all done: they may run now. */
  ready_steps: number;
  completed_steps: number;
  error_steps: number;
  step_names: string[];
}

export interface ErrorChain {
  error_step_id: number;
  error_step_name: string;
  attempts: number;
  retry_limit: number;
  retryable: boolean;
  /** Whether the engine will try the step again by itself (retryable with attempts left). */
  will_retry: boolean;
  /** Every step that depends on the failed one, directly or not (they cannot run until it is done). */
  downstream_steps: string[];
  total_downstream_steps: number;
}

/** A task's steps as a DAG, in topological order, with neighbours by step id. */
interface StepGraph {
  ordered: WorkflowStep[];
  parents: Map<number, number[]>;
  children: Map<number, number[]>;
  byId: Map<number, WorkflowStep>;
}

/**
 * How a task's steps depend on each other and where it stands: levels, the longest paths, how much
 * could run in parallel, and which failed steps hold up which others. Pure: reads only the task.
 */
export function analyzeDependencies(task: Task, now: Date = new Date()): DependencyAnalysis {
  const graph = stepGraph(task.steps);
  const levels = stepLevels(graph);
  const paths = longestPaths(graph);
  const parallelLevels = parallelism(graph, levels);
  const chains = errorChains(graph);
  const edges = dependencyEdges(graph);
  const longestPathLength = paths[0]?.length ?? 0;
  return {
    dependency_graph: {
      nodes: graph.ordered.map((step) => ({
        id: step.workflowStepId,
        name: step.name,
        level: levels.get(step.workflowStepId) as number,
      })),
      edges,
      dependency_levels: Object.fromEntries(
        graph.ordered.map((step) => [step.name, levels.get(step.workflowStepId) as number]),
      ),
    },
    critical_paths: {
      longest_path_length: longestPathLength,
      paths,
      root_nodes: graph.ordered.filter((s) => parentsOf(graph, s.workflowStepId).length === 0).map(idOf),
      leaf_nodes: graph.ordered.filter((s) => childrenOf(graph, s.workflowStepId).length === 0).map(idOf),
    },
    parallelism_opportunities: {
      total_levels: parallelLevels.length,
      max_parallel_steps: Math.max(0, ...parallelLevels.map((level) => level.total_steps)),
      levels: parallelLevels,
    },
    error_chains: { total_error_steps: chains.length, error_chains: chains },
    task_execution_summary: {
      total_steps: graph.ordered.length,
      total_dependencies: edges.length,
      dependency_levels: parallelLevels.length,
      longest_path_length: longestPathLength,
      error_chains_count: chains.length,
      overall_health: overallHealth(task, graph, chains),
    },
    analysis_timestamp: now.toISOString(),
  };
}

function parentsOf(graph: StepGraph, stepId: number): number[] {
  return graph.parents.get(stepId) ?? [];
}

function childrenOf(graph: StepGraph, stepId: number): number[] {
  return graph.children.get(stepId) ?? [];
}

function idOf(step: WorkflowStep): number {
  return step.workflowStepId;
}

/** Children are derived from `parentIds`, so the two directions can never disagree. */
function stepGraph(steps: readonly WorkflowStep[]): StepGraph {
  const byId = new Map(steps.map((step) => [step.workflowStepId, step]));
  const parents = new Map(
    steps.map((step) => [step.workflowStepId, step.parentIds.filter((id) => byId.has(id))]),
  );
  const children = new Map(steps.map((step): [number, number[]] => [step.workflowStepId, []]));
  for (const [child, parentIds] of parents) {
    for (const parent of parentIds) children.get(parent)?.push(child);
  }
  const order = topologicalOrder(
    steps.map((step) => ({
      name: String(step.workflowStepId),
      dependsOn: (parents.get(step.workflowStepId) as number[]).map(String),
    })),
  );
  return { ordered: order.map((id) => byId.get(Number(id)) as WorkflowStep), parents, children, byId };
}

function stepLevels(graph: StepGraph): Map<number, number> {
  const levels = new Map<number, number>();
  for (const step of graph.ordered) {
    const parentLevels = parentsOf(graph, step.workflowStepId).map((parent) => levels.get(parent) as number);
    levels.set(step.workflowStepId, parentLevels.length === 0 ? 0 : 1 + Math.max(...parentLevels));
  }
  return levels;
}

function dependencyEdges(graph: StepGraph): DependencyAnalysis['dependency_graph']['edges'] {
  return graph.ordered.flatMap((step) =>
    parentsOf(graph, step.workflowStepId).map((parent) => ({
      from: parent,
      to: step.workflowStepId,
      from_name: (graph.byId.get(parent) as WorkflowStep).name,
      to_name: step.name,
    })),
  );
}

/**
 * The longest root → leaf paths without enumerating them all (a wide DAG has exponentially many):
 * each step keeps only the few longest paths that reach it, which is enough to extend into the few
 * longest paths overall.
 */
function longestPaths(graph: StepGraph): CriticalPath[] {
  const best = new Map<number, number[][]>();
  for (const step of graph.ordered) {
    const parents = parentsOf(graph, step.workflowStepId);
    const reaching =
      parents.length === 0
        ? [[step.workflowStepId]]
        : parents.flatMap((parent) =>
            (best.get(parent) as number[][]).map((path) => [...path, step.workflowStepId]),
          );
    best.set(step.workflowStepId, longestFirst(reaching).slice(0, MAX_CRITICAL_PATHS));
  }
  const leafPaths = graph.ordered
    .filter((step) => childrenOf(graph, step.workflowStepId).length === 0)
    .flatMap((step) => best.get(step.workflowStepId) as number[][]);
  return longestFirst(leafPaths)
    .slice(0, MAX_CRITICAL_PATHS)
    .map((path) => criticalPath(graph, path));
}

/** Longest first; equally long paths in step id order, so the answer is stable. */
function longestFirst(paths: number[][]): number[][] {
  return [...paths].sort((a, b) => b.length - a.length || compareIds(a, b));
}

function compareIds(a: number[], b: number[]): number {
  const at = a.findIndex((id, index) => id !== b[index]);
  return at === -1 ? 0 : a[at] - b[at];
}

function criticalPath(graph: StepGraph, path: number[]): CriticalPath {
  const steps = path.map((id) => graph.byId.get(id) as WorkflowStep);
  return {
    path,
    step_names: steps.map((step) => step.name),
    length: path.length,
    completion_percentage: percentage(steps.filter(isDone).length, steps.length),
  };
}

function parallelism(graph: StepGraph, levels: Map<number, number>): ParallelLevel[] {
  const byLevel: WorkflowStep[][] = [];
  for (const step of graph.ordered) {
    const level = levels.get(step.workflowStepId) as number;
    (byLevel[level] ??= []).push(step);
  }
  return byLevel.map((steps, level) => ({
    level,
    total_steps: steps.length,
    ready_steps: steps.filter((step) => isReady(graph, step)).length,
    completed_steps: steps.filter(isDone).length,
    error_steps: steps.filter((step) => step.status === 'error').length,
    step_names: steps.map((step) => step.name),
  }));
}

function errorChains(graph: StepGraph): ErrorChain[] {
  return graph.ordered
    .filter((step) => step.status === 'error')
    .map((step) => {
      const downstream = descendants(graph, step.workflowStepId);
      return {
        error_step_id: step.workflowStepId,
        error_step_name: step.name,
        attempts: step.attempts,
        retry_limit: step.retryLimit,
        retryable: step.retryable,
        will_retry: willRetry(step),
        downstream_steps: downstream.map((s) => s.name),
        total_downstream_steps: downstream.length,
      };
    });
}

/** Descendants of a step, in topological order. */
function descendants(graph: StepGraph, stepId: number): WorkflowStep[] {
  const reached = new Set<number>();
  const queue = [...childrenOf(graph, stepId)];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    if (reached.has(next)) continue;
    reached.add(next);
    queue.push(...childrenOf(graph, next));
  }
  return graph.ordered.filter((step) => reached.has(step.workflowStepId));
}

/**
 * `critical`: the task failed, or a failed step will not be retried without an operator;
 * `warning`: a step failed but will be retried, or a step was cancelled; `healthy` otherwise.
 */
function overallHealth(task: Task, graph: StepGraph, chains: ErrorChain[]): OverallHealth {
  if (task.status === 'error' || chains.some((chain) => !chain.will_retry)) return 'critical';
  if (chains.length > 0 || graph.ordered.some((step) => step.status === 'cancelled')) return 'warning';
  return 'healthy';
}

function willRetry(step: WorkflowStep): boolean {
  return step.retryable && step.attempts < step.retryLimit;
}

function isDone(step: WorkflowStep): boolean {
  return DEPENDENCY_SATISFYING_STEP_STATES.includes(step.status);
}

function isReady(graph: StepGraph, step: WorkflowStep): boolean {
  return (
    step.status === 'pending' &&
    parentsOf(graph, step.workflowStepId).every((parent) => isDone(graph.byId.get(parent) as WorkflowStep))
  );
}

function percentage(part: number, whole: number): number {
  return whole === 0 ? 0 : Math.round((1000 * part) / whole) / 10;
}
