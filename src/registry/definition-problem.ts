import { DefinitionError } from '../errors';

/** One thing wrong with a definition, found by a pure check; the caller turns it into a DefinitionError. */
export interface DefinitionProblem {
  message: string;
  step?: string;
}

/** A problem located by a JSON pointer into the document that was checked. */
export interface LocatedProblem extends DefinitionProblem {
  pointer: string;
}

export function definitionErrorFor(task: string, problem: DefinitionProblem): DefinitionError {
  return new DefinitionError(task, problem.message, problem.step);
}

/**
 * One error listing every located problem. The error names the step when all problems belong to
 * one step; otherwise each problem inside a step names its own.
 */
export function locatedProblemsError(
  task: string,
  summary: string,
  problems: readonly LocatedProblem[],
): DefinitionError {
  const steps = new Set(problems.map((problem) => problem.step));
  const onlyStep = steps.size === 1 ? problems[0]?.step : undefined;
  const listed = problems.map(({ pointer, message, step }) => {
    const stepNote = step !== undefined && onlyStep === undefined ? ` (step '${step}')` : '';
    return `${pointer || '/'}${stepNote} ${message}`;
  });
  return new DefinitionError(task, `${summary}: ${listed.join('; ')}`, onlyStep);
}
