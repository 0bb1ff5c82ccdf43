import type { Task } from '../interfaces';
import { STEP_STATES, type StepState } from '../state/states';

/** Fill and stroke per step state (the reference's palette, as hex so every renderer agrees). */
const STATE_STYLES: Readonly<Record<StepState, string>> = {
  pending: 'fill:#add8e6,stroke:#4682b4,color:#000',
  in_progress: 'fill:#90ee90,stroke:#2e8b57,color:#000',
  complete: 'fill:#228b22,stroke:#145214,color:#fff',
  error: 'fill:#dc143c,stroke:#8b0000,color:#fff',
  cancelled: 'fill:#a9a9a9,stroke:#696969,color:#000',
  resolved_manually: 'fill:#dda0dd,stroke:#8b008b,color:#000',
};

/**
 * A Mermaid `flowchart TD` of the task's steps: one node per step (id `s<workflowStepId>`, so any
 * step name is safe), an edge from each parent to its child, and one class per step state.
 */
export function taskDiagram(task: Task): string {
  const title = label(`Task ${task.taskId}: ${task.fullName} (${task.status})`);
  const nodes = task.steps.map(
    (step) => `    ${nodeId(step.workflowStepId)}["${label(step.name)}<br/>${step.status}"]`,
  );
  const known = new Set(task.steps.map((step) => step.workflowStepId));
  const edges = task.steps.flatMap((step) =>
    step.parentIds
      .filter((parent) => known.has(parent))
      .map((parent) => `  ${nodeId(parent)} --> ${nodeId(step.workflowStepId)}`),
  );
  const classDefs = STEP_STATES.map((state) => `  classDef ${state} ${STATE_STYLES[state]}`);
  const classAssignments = STEP_STATES.flatMap((state) => {
    const ids = task.steps.filter((step) => step.status === state).map((step) => nodeId(step.workflowStepId));
    return ids.length === 0 ? [] : [`  class ${ids.join(',')} ${state}`];
  });
  return [
    'flowchart TD',
    `  subgraph task${task.taskId}["${title}"]`,
    ...nodes,
    '  end',
    ...edges,
    ...classDefs,
    ...classAssignments,
  ].join('\n');
}

function nodeId(stepId: number): string {
  return `s${stepId}`;
}

/**
 * Text for a quoted label. Characters Mermaid or HTML could read as syntax (quotes, brackets, `#`,
 * `:`, `;`, `<`, `&`, line breaks…) become Mermaid entity codes (`#34;`), which it renders as the
 * character itself.
 */
function label(text: string): string {
  return text.replace(/[^\p{L}\p{N} _.,@()/+-]/gu, (char) => `#${char.codePointAt(0)};`);
}
