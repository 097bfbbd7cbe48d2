// Runs on: any thread. The bounds of event time and watermarks.
//
// Timestamps and watermarks are milliseconds as JS numbers. Watermarks cross threads as signed 64-bit integers
// (shm/schema/control.fbs), so they are kept to safe integers: the largest one is the final watermark that a
// bounded input sends at its end, which fires every event-time timer and window.

/** No event time has been seen yet. */
export const MIN_WATERMARK = Number.MIN_SAFE_INTEGER;
/** End of input: every event-time timer fires. */
export const MAX_WATERMARK = Number.MAX_SAFE_INTEGER;

/** Whether a record carries a timestamp (NaN means it has none). */
export function hasTimestamp(ts: number): boolean {
  return ts === ts;
}
