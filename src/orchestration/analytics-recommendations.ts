import type { BottleneckAnalysis } from '../engine';

/** Tasks slower than this at the 95th percentile are worth a look. */
const SLOW_TASK_P95_SECONDS = 60;
/** Queue waits shorter than this are noise, whatever the run time. */
const NOTABLE_QUEUE_WAIT_SECONDS = 1;
export const MAX_RECOMMENDATIONS = 5;

const seconds = (value: number) => `${Number(value.toFixed(3))}s`;

function slowTasks({ durations, slowestTasks }: BottleneckAnalysis): string | undefined {
  const { p50, p95 } = durations.task;
  if (p95 === null || p50 === null || p95 <= SLOW_TASK_P95_SECONDS) return undefined;
  const slowest = slowestTasks[0];
  const example = slowest
    ? ` The slowest was ${slowest.namespace}/${slowest.taskName} ${slowest.version} (task ${slowest.taskId}, ${seconds(slowest.durationSeconds)}).`
    : '';
  return `Tasks are slow: p95 ${seconds(p95)} from creation to finish (p50 ${seconds(p50)}).${example}`;
}

function retryHotspot({ hotspots }: BottleneckAnalysis): string | undefined {
  const hottest = hotspots.find((hotspot) => hotspot.retries > 0);
  if (!hottest) return undefined;
  const [mainClass] = Object.entries(hottest.errorClasses).sort(([, a], [, b]) => b - a);
  const cause = mainClass ? `, mostly ${mainClass[0]}` : '';
  return (
    `Step ${hottest.stepName} of ${hottest.namespace}/${hottest.taskName} ${hottest.version} was retried ` +
    `${hottest.retries} times (${hottest.failures} failures${cause}): review its error handling, timeouts and retry limits.`
  );
}

function commonError({ errorClasses }: BottleneckAnalysis): string | undefined {
  const top = errorClasses[0];
  if (!top) return undefined;
  return `${top.errorClass} caused ${top.failures} step failures (in ${top.stepNames.join(', ')}).`;
}

function queueWait({ durations }: BottleneckAnalysis): string | undefined {
  const wait = durations.stepQueueWait.p95;
  const run = durations.stepRun.p95;
  if (wait === null || wait < NOTABLE_QUEUE_WAIT_SECONDS || (run !== null && wait <= run)) return undefined;
  const runText = run === null ? '' : ` against ${seconds(run)} of run time`;
  return `Steps wait longer to start than they run (queue wait p95 ${seconds(wait)}${runText}): add worker concurrency or processes.`;
}

function blocked({ blockedSteps }: BottleneckAnalysis): string | undefined {
  const most = blockedSteps[0];
  if (!most) return undefined;
  return (
    `${most.blockedCount} ${most.stepName} step(s) of ${most.namespace}/${most.taskName} are waiting on ` +
    `${most.waitingOn.join(', ')}; the oldest for ${seconds(most.oldestBlockedSeconds)}.`
  );
}

/** At most five recommendations, each derived from a figure of the analysis; none when nothing stands out. */
export function recommendations(analysis: BottleneckAnalysis): string[] {
  return [slowTasks, retryHotspot, commonError, queueWait, blocked]
    .map((rule) => rule(analysis))
    .filter((text): text is string => text !== undefined)
    .slice(0, MAX_RECOMMENDATIONS);
}
