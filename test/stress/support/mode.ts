/** `npm run stress -- --short` (STRESS_MODE=short): the same scenarios, smaller and shorter, for CI. */
export const SHORT = process.env.STRESS_MODE === 'short';

export function byMode<T>(full: T, short: T): T {
  return SHORT ? short : full;
}

/** The server the scenarios create their databases on (never restarted: see database-restart). */
export const ADMIN_URL =
  process.env.TASKER_STRESS_ADMIN_URL ??
  process.env.TASKER_TEST_ADMIN_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `intervalMs` until it returns true; false if `timeoutMs` passes first. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  intervalMs = 250,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}
