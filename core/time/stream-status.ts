// Runs on: the worker thread of a subtask. What the ends of its chain (output gates, sinks) were last told of the
// stream's status, for the idle flag in the metrics: an idle stream's watermark holds nothing back downstream, so
// status takes a task's event time over its other subtasks. Read at the ends, so every way a stream goes idle
// (a source with no split, `withIdleness`, every input of a task idle) is seen as the next task sees it.

/** Nothing yet: neither a watermark nor an idleness went this way (a dead-letter gate never gets either). */
export const STREAM_UNTOLD = 0;
/** A watermark, or idleness ended, was the last. */
export const STREAM_ACTIVE = 1;
/** Idleness was the last. */
export const STREAM_IDLE = 2;

export interface StreamEnd {
  readonly streamStatus: number;
}

/** Some end was told idle and none told otherwise since (ends told nothing do not count). */
export function streamIdle(ends: readonly StreamEnd[], more: readonly StreamEnd[] = []): boolean {
  let idle = false;
  for (const list of [ends, more]) {
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!.streamStatus;
      if (s === STREAM_ACTIVE) return false;
      if (s === STREAM_IDLE) idle = true;
    }
  }
  return idle;
}
