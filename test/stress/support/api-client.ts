export interface HttpResult {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

export async function http(
  method: string,
  url: string,
  options: {
    token?: string;
    body?: string | object;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

export interface TaskSpec {
  name: string;
  context: Record<string, unknown>;
}

export interface CreatedTask {
  taskId: number;
  name: string;
}

export interface CreationOutcome {
  created: CreatedTask[];
  /** Requests answered with a non-201 status, or that failed at the network level. */
  failed: { status: number | string; spec: TaskSpec }[];
}

/** POSTs each spec to `/tasks`, `concurrency` requests in flight. */
export async function createTasks(
  baseUrl: string,
  token: string,
  specs: readonly TaskSpec[],
  concurrency = 8,
): Promise<CreationOutcome> {
  const outcome: CreationOutcome = { created: [], failed: [] };
  let next = 0;
  const lane = async () => {
    while (next < specs.length) {
      const spec = specs[next];
      next += 1;
      try {
        const res = await http('POST', `${baseUrl}/tasks`, {
          token,
          body: { task: { name: spec.name, namespace: 'stress', context: spec.context } },
        });
        const task = (res.json as { task?: { task_id: number } } | undefined)?.task;
        if (res.status === 201 && task) outcome.created.push({ taskId: task.task_id, name: spec.name });
        else outcome.failed.push({ status: res.status, spec });
      } catch (error) {
        outcome.failed.push({ status: (error as Error).name, spec });
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return outcome;
}

/** A deterministic mix of every workflow: mostly succeeding, some retrying, a few failing for good. */
export function mixedTasks(count: number, context: Record<string, unknown> = {}): TaskSpec[] {
  const cycle = [
    'linear',
    'diamond',
    'linear',
    'fan_out',
    'flaky',
    'diamond',
    'linear',
    'flaky',
    'diamond',
    'fan_out',
    'linear',
    'flaky',
    'diamond',
    'fan_out',
    'linear',
    'flaky',
    'diamond',
    'doomed',
    'linear',
    'exhausted',
  ];
  return Array.from({ length: count }, (_, i) => ({
    name: cycle[i % cycle.length],
    context: { i, ...context },
  }));
}

export interface Load {
  /** Stops creating (waits for the requests in flight) and returns what was created. */
  stop(): Promise<CreationOutcome>;
  /** Tasks created so far. */
  createdCount(): number;
}

/**
 * Creates tasks until stopped: `concurrency` request lanes, each pacing itself so the total is
 * about `ratePerSecond` (unpaced when omitted).
 */
export function startLoad(
  baseUrl: string,
  token: string,
  spec: (i: number) => TaskSpec,
  { concurrency = 4, ratePerSecond }: { concurrency?: number; ratePerSecond?: number } = {},
): Load {
  const outcome: CreationOutcome = { created: [], failed: [] };
  let stopped = false;
  let next = 0;
  const started = Date.now();
  const lane = async () => {
    while (!stopped) {
      const i = next;
      next += 1;
      if (ratePerSecond) {
        const due = started + (i / ratePerSecond) * 1000;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        if (stopped) return;
      }
      const { created, failed } = await createTasks(baseUrl, token, [spec(i)], 1);
      outcome.created.push(...created);
      outcome.failed.push(...failed);
    }
  };
  const lanes = Promise.all(Array.from({ length: concurrency }, lane));
  return {
    async stop() {
      stopped = true;
      await lanes;
      return outcome;
    },
    createdCount: () => outcome.created.length,
  };
}
