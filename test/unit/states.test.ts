import { describe, expect, it } from 'vitest';
import {
  STEP_STATES,
  STEP_TRANSITION_EVENTS,
  STEP_TRANSITIONS,
  TASK_STATES,
  TASK_TRANSITION_EVENTS,
  TASK_TRANSITIONS,
  transitionEventName,
  transitionTableRefusal,
} from '../../src/state/states';

/** The reference's matrices (§2.1, §2.2): row = from, columns in state order, 1 = allowed. */
const TASK_MATRIX: Record<string, string> = {
  pending: '010110',
  in_progress: '101110',
  error: '100001',
  complete: '000010',
  resolved_manually: '000010',
  cancelled: '000000',
};
const STEP_MATRIX: Record<string, string> = {
  pending: '010111',
  in_progress: '001110',
  error: '100001',
  complete: '000000',
  cancelled: '000000',
  resolved_manually: '000000',
};

describe('transition tables', () => {
  it('allow exactly the task transitions of the reference', () => {
    for (const from of TASK_STATES) {
      const allowed = TASK_STATES.map((to) =>
        transitionTableRefusal(TASK_TRANSITIONS, from, to) ? '0' : '1',
      ).join('');
      expect(allowed, `task from ${from}`).toBe(TASK_MATRIX[from]);
    }
  });

  it('allow exactly the step transitions of the reference', () => {
    for (const from of STEP_STATES) {
      const allowed = STEP_STATES.map((to) =>
        transitionTableRefusal(STEP_TRANSITIONS, from, to) ? '0' : '1',
      ).join('');
      expect(allowed, `step from ${from}`).toBe(STEP_MATRIX[from]);
    }
  });

  it('refuse a transition to the current state', () => {
    expect(transitionTableRefusal(TASK_TRANSITIONS, 'error', 'error')).toMatch(/already in state 'error'/);
  });

  it('map every allowed transition to an event', () => {
    for (const from of TASK_STATES) {
      for (const to of TASK_TRANSITIONS[from]) {
        expect(transitionEventName(TASK_TRANSITION_EVENTS, from, to), `${from}→${to}`).toMatch(/^task\./);
      }
    }
    for (const from of STEP_STATES) {
      for (const to of STEP_TRANSITIONS[from]) {
        expect(transitionEventName(STEP_TRANSITION_EVENTS, from, to), `${from}→${to}`).toMatch(/^step\./);
      }
    }
    expect(transitionEventName(TASK_TRANSITION_EVENTS, 'error', 'pending')).toBe('task.retry_requested');
    expect(transitionEventName(STEP_TRANSITION_EVENTS, 'pending', 'in_progress')).toBe(
      'step.execution_requested',
    );
    expect(transitionEventName(TASK_TRANSITION_EVENTS, null, 'pending')).toBe('task.initialize_requested');
  });
});
