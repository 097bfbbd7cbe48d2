// Runs on: the benchmark's main thread, after a windowed latency run. When a window closed, and how long its
// results took from there to the sink.
//
// A window [start, end) fires once the watermark at its operator reaches end - 1. That watermark is the minimum
// over the operator's inputs, so it gets there when the LAST source subtask has emitted a watermark >= end - 1:
// the window's closing time is, over source subtasks, the maximum of each one's first emission of such a
// watermark. Sources log (watermark, wall time) each time their watermark advances (recording-watermarks.ts).
//
// That leaves out what happened before the watermark left: the wait for the next periodic emission and any lag of
// the sources behind their schedule (coordinated omission, which q1 avoids by counting from each event's due time).
// closingDueTime counts from when the events that let the watermarks get there were due.

import { dueAt } from './pacer.js';

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

/** A source subtask's schedule: its k-th event is due at dueAt(anchorMs, ratePerSec, k), epoch ms. */
export interface Schedule {
  readonly subtask: number;
  readonly anchorMs: number;
  readonly ratePerSec: number;
}

/**
 * When the events that let every source subtask's watermark close the window ending at `windowEnd` were due,
 * epoch ms. Only for the latency runs' stream: event `id` has event time `baseTime + id`, no out-of-orderness
 * bound (so an event at or past windowEnd closes it), and subtask s of p emits ids s, s + p, ... (its k-th is
 * s + k p). Per subtask, its first event at or past windowEnd; the latest of them.
 */
export function closingDueTime(schedules: readonly Schedule[], windowEnd: number, baseTime: number): number {
  const p = schedules.length;
  const first = Math.max(0, Math.ceil(windowEnd - baseTime));
  let latest = -Infinity;
  for (const s of schedules) {
    const id = first + (((s.subtask - (first % p)) % p) + p) % p;
    latest = Math.max(latest, dueAt(s.anchorMs, s.ratePerSec, (id - s.subtask) / p));
  }
  return latest;
}

export interface WindowLatencies {
  /** Sink arrival minus closing time of each measured result, ms. */
  latenciesMs: number[];
  /** Sink arrival minus `dueOf` its window's end, of the same results (empty without `dueOf`), ms. */
  fromDueMs: number[];
  /** Results of windows closed before `notBeforeMs` (warm-up): not measured. */
  warmup: number;
  /** Results of windows closed by the end of input: no logged watermark closed them, not measured. */
  closedByEnd: number;
}

/**
 * Latency of each result from its window's closing, skipping windows closed before `notBeforeMs`; with `dueOf`
 * (closingDueTime), the same results' latency from when their window's closing events were due, too.
 */
export function windowLatencies(logs: readonly WatermarkLog[], results: readonly WindowResult[], notBeforeMs = -Infinity, dueOf?: (windowEnd: number) => number): WindowLatencies {
  const closing = new Map<number, number | undefined>();
  const out: WindowLatencies = { latenciesMs: [], fromDueMs: [], warmup: 0, closedByEnd: 0 };
  for (const r of results) {
    if (!closing.has(r.windowEnd)) closing.set(r.windowEnd, closingTime(logs, r.windowEnd));
    const closedAt = closing.get(r.windowEnd);
    if (closedAt === undefined) out.closedByEnd++;
    else if (closedAt < notBeforeMs) out.warmup++;
    else {
      out.latenciesMs.push(r.atMs - closedAt);
      if (dueOf !== undefined) out.fromDueMs.push(r.atMs - dueOf(r.windowEnd));
    }
  }
  return out;
}
