export type Unit = 'ms' | '/s' | 'n';

/** One measured number. `key` lets other figures compare with it; `baseline` names the key they compare with. */
export interface Figure {
  metric: string;
  value: number;
  unit: Unit;
  key?: string;
  baseline?: string;
}

export interface Settings {
  quick: boolean;
  /** Warm-up iterations dropped before sampling (per latency series). */
  warmup: number;
  /** pg-boss chain hops measured with LISTEN/NOTIFY. */
  notifyHops: number;
  /** pg-boss chain hops measured with polling only (each costs about one poll interval, 0.5 s). */
  pollHops: number;
  /** Parallel chains and hops per chain for the pg-boss throughput baseline. */
  throughputChains: number;
  throughputHopsPerChain: number;
  stepLatencyRuns: number;
  throughputTasks: number;
  throughputInFlight: number;
  linearRuns: number;
  fanOutChildren: number;
  /** readiness-sql: timed calls per function and task size, and finished tasks seeded as history. */
  readinessCalls: number;
  readinessHistoryTasks: number;
  /** api-load: seconds of load per endpoint and concurrent connections. */
  apiLoadSeconds: number;
  apiConnections: number;
  /** recovery: kill-and-recover rounds. */
  recoveryRuns: number;
}

export interface ScenarioContext {
  settings: Settings;
  databaseUrl: string;
  /** Records a figure as soon as it is known, so a later failure keeps what was measured. */
  record(figure: Figure): void;
  /** Registers a shutdown step; they run in reverse order after the scenario, even when it fails or times out. */
  onCleanup(cleanup: () => Promise<void>): void;
  progress(message: string): void;
}

export interface Scenario {
  name: string;
  /** Generous upper bound; past it the scenario fails instead of hanging. */
  timeoutMs(settings: Settings): number;
  run(ctx: ScenarioContext): Promise<void>;
}
