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

/** Whether a record carries a timestamp (NaN means it has none). */
export function hasTimestamp(ts: number): boolean {
  return ts === ts;
}
