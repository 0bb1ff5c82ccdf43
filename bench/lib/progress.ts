import { BenchTimeoutError } from './timeout';

/**
 * Resolves with `finished`, but rejects once `count()` has not moved for `stallMs`: a stuck run
 * fails with a message instead of waiting for the scenario's overall timeout.
 */
export function untilDoneOrStalled<T>(
  finished: Promise<T>,
  count: () => number,
  stallMs: number,
  describe: () => string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let last = count();
    let lastChange = Date.now();
    const timer = setInterval(() => {
      const now = count();
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        clearInterval(timer);
        reject(new BenchTimeoutError(`no progress for ${stallMs} ms: ${describe()}`));
      }
    }, 200);
    timer.unref();
    finished.then(
      (value) => {
        clearInterval(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearInterval(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A promise with its settle functions outside, for "the last job/task arrived" signals. */
export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (error: Error) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
