/**
 * Times as people read them: "in 59 min", "3 h ago".
 *
 * @module
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A duration in its largest whole unit, rounded down: `42 s`, `59 min`,
 * `3 h`, `12 d`. Rounding down matters for expiry: a token with 59 min 59 s
 * left has not got an hour left.
 *
 * @example
 * ```ts
 * formatDuration(3_599_000); // "59 min"
 * ```
 */
export function formatDuration(milliseconds: number): string {
  const ms = Math.abs(milliseconds);
  if (ms < MINUTE) return `${Math.floor(ms / SECOND)} s`;
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min`;
  if (ms < 2 * DAY) return `${Math.floor(ms / HOUR)} h`;
  return `${Math.floor(ms / DAY)} d`;
}

/**
 * `in 59 min` for a time ahead of `now`, `3 h ago` for one behind it.
 *
 * @example
 * ```ts
 * relativeTime(new Date(Date.now() + 3_599_000)); // "in 59 min"
 * ```
 */
export function relativeTime(time: Date, now: number = Date.now()): string {
  const delta = time.getTime() - now;
  return delta >= 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/**
 * `expires in 59 min` or `expired 3 h ago`.
 *
 * @example
 * ```ts
 * describeExpiry(new Date(Date.now() - 3 * 3_600_000)); // "expired 3 h ago"
 * ```
 */
export function describeExpiry(expiresOn: Date, now: number = Date.now()): string {
  const delta = expiresOn.getTime() - now;
  return delta > 0 ? `expires in ${formatDuration(delta)}` : `expired ${formatDuration(delta)} ago`;
}

/** `2025-01-01T00:00:00.000Z (in 59 min)`: the exact time and how far it is. */
export function timeWithDistance(time: Date, now: number = Date.now()): string {
  return `${time.toISOString()} (${relativeTime(time, now)})`;
}
