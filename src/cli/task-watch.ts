import type { TaskerEngine } from '../engine';
import type { TransitionEvent } from '../events/transition-event';
import type { Task } from '../interfaces';
import { TERMINAL_TASK_STATES } from '../state/states';

/** How often the task is read again when no transition arrives (a missed NOTIFY, a long step). */
const POLL_MS = 1_000;
/** How long to wait, once the task reads as settled, for its final transition to be delivered. */
const FINAL_TRANSITION_MS = 1_000;

export interface TaskObserver {
  /** The task as created. */
  created(task: Task): void;
  /** Every committed transition of the task or its steps, from any process, in commit order. */
  transition(event: TransitionEvent): void;
  /** The task as read after transitions (and at least every second). */
  snapshot(task: Task): void;
}

export type WatchOutcome = 'settled' | 'timeout' | 'interrupted';

export interface WatchOptions {
  /** Stop waiting after this long; undefined waits until the task settles. */
  timeoutMs?: number;
  /** Stop waiting when this resolves (e.g. on SIGINT). */
  interrupt: Promise<void>;
}

/**
 * Creates a task with `create` and follows it until it is complete, error or cancelled. The
 * subscription starts before the task exists, so the first transitions are not missed.
 */
export async function createAndWatch(
  engine: TaskerEngine,
  create: () => Promise<Task>,
  observer: TaskObserver,
  options: WatchOptions,
): Promise<{ task: Task; outcome: WatchOutcome }> {
  const early: TransitionEvent[] = [];
  let taskId: number | undefined;
  let wake: () => void = () => undefined;
  let lastTaskState: string | undefined;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const unsubscribe = await engine.onTransition(
    (event) => {
      if (taskId === undefined) early.push(event);
      else if (event.taskId === taskId) {
        if (event.stepId === null) lastTaskState = event.toState;
        observer.transition(event);
        wake();
      }
    },
    () => wake(),
  );
  try {
    const created = await create();
    taskId = created.taskId;
    observer.created(created);
    for (const event of early.filter((e) => e.taskId === created.taskId)) {
      if (event.stepId === null) lastTaskState = event.toState;
      observer.transition(event);
    }
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let interrupted = false;
    void options.interrupt.then(() => {
      interrupted = true;
      wake();
    });
    for (;;) {
      const task = (await engine.getTask(created.taskId)) ?? created;
      observer.snapshot(task);
      if (TERMINAL_TASK_STATES.includes(task.status)) {
        // The read can beat the NOTIFY of the task's own transition (they commit together).
        const waitUntil = Date.now() + FINAL_TRANSITION_MS;
        while (lastTaskState !== task.status && Date.now() < waitUntil) await sleep(waitUntil - Date.now());
        return { task, outcome: 'settled' };
      }
      if (interrupted) return { task, outcome: 'interrupted' };
      if (Date.now() >= deadline) return { task, outcome: 'timeout' };
      await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
    }
  } finally {
    unsubscribe();
  }
}
