// Runs on: the benchmark's main thread, after a windowed latency run. When a window closed, and how long its
// results took from there to the sink.
//
// A window [start, end) fires once the watermark at its operator reaches end - 1. That watermark is the minimum
// over the operator's inputs, so it gets there when the LAST source subtask has emitted a watermark >= end - 1:
// the window's closing time is, over source subtasks, the maximum of each one's first emission of such a
// watermark. Sources log (watermark, wall time) each time their watermark advances (recording-watermarks.ts).

/** One source subtask's watermarks in emission order (strictly increasing) and when each left, epoch ms. */
export interface WatermarkLog {
  readonly watermarks: readonly number[];
  readonly atMs: readonly number[];
}

/** A result row as the sink saw it: its window's end and when it arrived, epoch ms. */
export interface WindowResult {
  readonly windowEnd: number;
  readonly atMs: number;
}

/** Index of the first watermark >= `target` in the log, or -1 (binary search: logs are increasing). */
function firstReaching(log: WatermarkLog, target: number): number {
  const w = log.watermarks;
  let lo = 0;
  let hi = w.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (w[mid]! >= target) hi = mid;
    else lo = mid + 1;
  }
  return lo < w.length ? lo : -1;
}

/**
 * When every source subtask had emitted a watermark closing the window ending at `windowEnd` (exclusive), epoch
 * ms; undefined if some subtask never logged one (the window was closed by the end of input, which no log holds).
 */
export function closingTime(logs: readonly WatermarkLog[], windowEnd: number): number | undefined {
  if (logs.length === 0) return undefined;
  let latest = -Infinity;
  for (const log of logs) {
    const i = firstReaching(log, windowEnd - 1);
    if (i < 0) return undefined;
    latest = Math.max(latest, log.atMs[i]!);
  }
  return latest;
}

export interface WindowLatencies {
  /** Sink arrival minus closing time of each measured result, ms. */
  latenciesMs: number[];
  /** Results of windows closed before `notBeforeMs` (warm-up): not measured. */
  warmup: number;
  /** Results of windows closed by the end of input: no logged watermark closed them, not measured. */
  closedByEnd: number;
}

/** Latency of each result from its window's closing, skipping windows closed before `notBeforeMs`. */
export function windowLatencies(logs: readonly WatermarkLog[], results: readonly WindowResult[], notBeforeMs = -Infinity): WindowLatencies {
  const closing = new Map<number, number | undefined>();
  const out: WindowLatencies = { latenciesMs: [], warmup: 0, closedByEnd: 0 };
  for (const r of results) {
    if (!closing.has(r.windowEnd)) closing.set(r.windowEnd, closingTime(logs, r.windowEnd));
    const closedAt = closing.get(r.windowEnd);
    if (closedAt === undefined) out.closedByEnd++;
    else if (closedAt < notBeforeMs) out.warmup++;
    else out.latenciesMs.push(r.atMs - closedAt);
  }
  return out;
}
