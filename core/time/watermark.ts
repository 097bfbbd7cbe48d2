// Runs on: any thread. The bounds of event time and watermarks.
//
// Timestamps and watermarks are milliseconds as JS numbers. Watermarks cross threads as signed 64-bit integers
// (shm/schema/control.fbs), so they are kept to safe integers: the largest one is the final watermark that a
// bounded input sends at its end, which fires every event-time timer and window.

/** No event time has been seen yet. */
export const MIN_WATERMARK = Number.MIN_SAFE_INTEGER;
/** End of input: every event-time timer fires. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

/**
 * Whether `ts` is an event time sluice can hold: a number of ms (fractions allowed) within the watermarks' range.
 * Above it a window or timer never fires, not even at the end (2^53 + x would silently lose every window;
 * nanosecond clocks are there, at ~1.7e18).
 */
export function inEventTimeRange(ts: unknown): ts is number {
  return typeof ts === 'number' && ts >= MIN_WATERMARK && ts <= MAX_WATERMARK;
}

/** What inEventTimeRange refuses, in words. */
export const EVENT_TIME_RANGE = 'a number of ms within ±(2^53 - 1) (in ns or µs? event time is in ms)';

/**
 * A value that is not an event time, in words, with its likely cause: String() showed the string '1010' as 1010
 * ("returned 1010, not a number": a string from parsed input read as a number), and a time computed from the
 * watermark before the first one arrived as a bare -9007199254741092.
 */
export function describeTime(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)} (convert it: Number(s), or Date.parse(s) for a date)`;
  if (v instanceof Date) return `a Date (${Number.isNaN(v.getTime()) ? 'invalid' : v.toISOString()}; use date.getTime())`;
  if (typeof v === 'bigint') return `the bigint ${v}n (use Number(...))`;
  if (typeof v === 'number' && v < MIN_WATERMARK && v > -Infinity) {
    return `${v} (below the lowest event time: computed from currentWatermark()? It is MIN_WATERMARK, -(2^53 - 1), until the first watermark arrives)`;
  }
  return String(v);
}

/** Whether a record carries a timestamp (NaN means it has none). */
export function hasTimestamp(ts: number): boolean {
  return ts === ts;
}
