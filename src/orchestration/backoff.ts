import { ConfigurationError } from '../errors';

/** Exponential backoff between attempts of a failed step. */
export interface BackoffOptions {
  /** Delay after the first failed attempt. */
  initialSeconds: number;
  /** Each further failure multiplies the delay by this. */
  multiplier: number;
  /** No computed delay exceeds this, jitter included. */
  maxSeconds: number;
  /** Fraction of the delay added or removed at random (0.1 = ±10%), so failed steps do not retry in lockstep. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({
  initialSeconds: 1,
  multiplier: 2,
  maxSeconds: 300,
  jitter: 0.1,
});

/** Fills in defaults and rejects options that would make the delays meaningless. */
export function normalizeBackoffOptions(partial: Partial<BackoffOptions> = {}): BackoffOptions {
  const options: BackoffOptions = {
    initialSeconds: partial.initialSeconds ?? DEFAULT_BACKOFF.initialSeconds,
    multiplier: partial.multiplier ?? DEFAULT_BACKOFF.multiplier,
    maxSeconds: partial.maxSeconds ?? DEFAULT_BACKOFF.maxSeconds,
    jitter: partial.jitter ?? DEFAULT_BACKOFF.jitter,
  };
  requireNumber('initialSeconds', options.initialSeconds, (n) => n > 0, 'a positive number');
  requireNumber('multiplier', options.multiplier, (n) => n >= 1, 'a number ≥ 1');
  requireNumber('maxSeconds', options.maxSeconds, (n) => n > 0, 'a positive number');
  requireNumber('jitter', options.jitter, (n) => n >= 0 && n <= 1, 'a fraction between 0 and 1');
  if (options.initialSeconds > options.maxSeconds) {
    throw new ConfigurationError(
      `Invalid backoff: initialSeconds (${options.initialSeconds}) exceeds maxSeconds (${options.maxSeconds})`,
    );
  }
  return options;
}

function requireNumber(name: string, value: unknown, valid: (n: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !valid(value)) {
    throw new ConfigurationError(
      `Invalid backoff option ${name}: expected ${expected}, got ${String(value)}`,
    );
  }
}

/**
 * Seconds to wait before retrying after `attempt` (1-based: the attempt that just failed) failed:
 * `initialSeconds × multiplier^(attempt−1)`, capped at `maxSeconds`, then jittered uniformly by
 * ±`jitter` and kept within [0, maxSeconds]. Rounded to milliseconds.
 */
export function computeBackoffSeconds(
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): number {
  if (!(attempt >= 1)) return 0;
  const base = Math.min(options.maxSeconds, options.initialSeconds * options.multiplier ** (attempt - 1));
  const spread = options.jitter * (2 * clampUnit(random()) - 1);
  return clamp(roundToMilliseconds(base * (1 + spread)), 0, options.maxSeconds);
}

export interface RetryDelay {
  seconds: number;
  /** `server_requested`: the handler's `retryAfterSeconds`; `exponential`: the backoff. */
  type: 'server_requested' | 'exponential';
}

/** A delay the handler asked for (a server's Retry-After) wins over the backoff, unjittered. */
export function retryDelay(
  failure: { retryAfterSeconds: number | null },
  attempt: number,
  options: BackoffOptions,
  random: () => number = Math.random,
): RetryDelay {
  const requested = failure.retryAfterSeconds;
  if (requested !== null && Number.isFinite(requested) && requested >= 0) {
    return { seconds: requested, type: 'server_requested' };
  }
  return { seconds: computeBackoffSeconds(attempt, options, random), type: 'exponential' };
}

function clampUnit(value: number): number {
  return Number.isFinite(value) ? clamp(value, 0, 1) : 0.5;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function roundToMilliseconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
