// Runs on: each thread that takes q1's per-event latencies (a sink subtask of sluice's latency job, a worker of
// the hand-written run: latency-handwritten-worker.ts), and the benchmark's main thread, which adds up what they
// hand back. q1's latency is per event: the row's arrival at the sink minus the time its event was due at its
// source; events due within the warm-up are counted, not measured; every row is folded into q1's checksum.

import { addTotals, type SinkTotals } from '../job-generator.js';
import { encodeHistogram, mergeHistograms, summarize, type LatencySummary } from './latency-histogram.js';
import { LatencyRecorder } from './latency-recorder.js';
import { q1Hash, RowFold, type Q1Row } from './queries.js';

/** What one thread hands back. */
export interface EventLatencyPart {
  rows: number;
  checksum: number;
  /** Latencies of the measured events, µs (latency-histogram.ts encoding). */
  histogram: string;
  /** Events due within the warm-up: not measured. */
  warmup: number;
}

/** One thread's q1 latencies and checksum. */
export class EventLatencyTally {
  private readonly h = new LatencyRecorder();
  private readonly fold = new RowFold(q1Hash);
  private warmup = 0;
  private measuring = false;

  /** Events due within `warmupMs` of their source's schedule's start are counted apart. */
  constructor(private readonly warmupMs: number) {}

  /**
   * `row` reached the sink at `atMs`; its event was due at `dueMs`, on a schedule that started at `anchorMs`
   * (epoch ms, all three).
   */
  add(row: Q1Row, atMs: number, dueMs: number, anchorMs: number): void {
    // Warm-up latencies are recorded too, and dropped once the warm-up is over: the code path stays the same
    // throughout (a sink that first began recording there, into a fresh histogram, was deoptimized at that
    // point, and its chained source fell 20-40 ms behind: a transient of the measurement, not the job).
    if (dueMs - anchorMs < this.warmupMs) this.warmup++;
    else if (!this.measuring) {
      this.measuring = true;
      this.h.reset();
    }
    this.h.recordMs(atMs - dueMs);
    this.fold.add(row);
  }

  part(): EventLatencyPart {
    return { ...this.fold.totals(), histogram: encodeHistogram(this.h.histogram()), warmup: this.warmup };
  }
}

export interface EventLatencies {
  /** Percentiles over every measured event of every part. */
  summary: LatencySummary;
  /** Events in the warm-up, not measured. */
  warmup: number;
  totals: SinkTotals;
}

/** Every thread's parts added up. */
export function addEventLatencyParts(parts: readonly EventLatencyPart[]): EventLatencies {
  let warmup = 0;
  for (const p of parts) warmup += p.warmup;
  return { summary: summarize(mergeHistograms(parts.map((p) => p.histogram))), warmup, totals: addTotals(parts) };
}
