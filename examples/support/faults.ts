/**
 * Failures queued for a simulated system: each call takes the next one until the queue is empty,
 * so a test (or the demo) can say "time out twice, then work".
 */
export class FaultQueue<Fault> {
  private readonly queued: { fault: Fault; remaining: number }[] = [];

  /** The next `times` calls fail with `fault` (`Infinity`: until `clear()`). */
  inject(fault: Fault, times = 1): void {
    this.queued.push({ fault, remaining: times });
  }

  /** The fault for this call, if any. */
  take(): Fault | undefined {
    const next = this.queued[0];
    if (!next) return undefined;
    next.remaining -= 1;
    if (next.remaining <= 0) this.queued.shift();
    return next.fault;
  }

  clear(): void {
    this.queued.length = 0;
  }
}

/** Money as integer cents, so totals add up exactly (0.1 + 0.2 is not 0.3 in floating point). */
export function toCents(amount: number): number {
  return Math.round(amount * 100);
}

export function fromCents(cents: number): number {
  return cents / 100;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
