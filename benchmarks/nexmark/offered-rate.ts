// Runs on: the benchmark's main thread, after a latency run. Whether the source kept up with the rate it was
// offered: a latency figure only describes the offered load if that load was actually applied.

import type { SourceEnd } from './latency-dir.js';

/** A latency run counts when its sources achieved at least this share of the offered rate. */
export const ACHIEVED_SHARE = 0.95;

/**
 * Events per second the sources actually emitted: each subtask's events over the time from its schedule's start
 * to its last emission, summed over subtasks (a subtask on schedule achieves exactly its share of the offer).
 */
export function achievedPerSec(ends: readonly SourceEnd[]): number {
  let sum = 0;
  for (const e of ends) {
    const seconds = (e.lastEmitMs - e.anchorMs) / 1000;
    if (e.emitted > 0 && seconds > 0) sum += e.emitted / seconds;
  }
  return sum;
}

export function keptUp(offeredPerSec: number, achieved: number): boolean {
  return achieved >= ACHIEVED_SHARE * offeredPerSec;
}
