const DELAY_SECONDS = /^\d+(?:\.\d+)?$/;

/**
 * Every HTTP date form (IMF-fixdate, RFC 850, asctime) starts with a day name. Requiring it keeps
 * `Date.parse`, which reads "1" or "-5" as dates in 2001, away from anything that is not a date.
 */
const HTTP_DATE = /^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s/i;

/** HTTP dates are always GMT, but asctime carries no zone and `Date.parse` would read it as local time. */
const EXPLICIT_ZONE = /\s(?:GMT|UTC)$/i;

/**
 * Seconds to wait according to a Retry-After header: delay-seconds, or an HTTP date (seconds until
 * then, 0 if past). `null` when the header is absent or unreadable; never throws, because a bad
 * header must not turn a retryable response into a different failure.
 */
export function parseRetryAfter(value: string | null | undefined, now: Date = new Date()): number | null {
  const text = value?.trim() ?? '';
  if (DELAY_SECONDS.test(text)) return finiteOrNull(Number(text));
  if (!HTTP_DATE.test(text)) return null;
  const time = Date.parse(EXPLICIT_ZONE.test(text) ? text : `${text} GMT`);
  if (Number.isNaN(time)) return null;
  return Math.max(0, (time - now.getTime()) / 1000);
}

function finiteOrNull(seconds: number): number | null {
  return Number.isFinite(seconds) ? seconds : null;
}
