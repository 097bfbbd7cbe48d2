// Runs on: each thread that takes q1's per-event latencies (a sink subtask of sluice's latency job, a worker of
// the hand-written run: latency-handwritten-worker.ts), and the benchmark's main thread, which adds up what they
// hand back. q1's latency is per event: the row's arrival at the sink minus the time its event was due at its
// source; events due within the warm-up are counted, not measured; every row is folded into q1's checksum.
// Arrival is read from the clock per event (`add`), or once per batch (`hold` each row, then `end` the batch): a
// batch's rows all arrived by its end, so each latency is taken at or after its row's arrival, never before, by
// at most the batch's span. A clock read per event was ~10% of a sink thread at 2 M events/s (2026-12-07).

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

  /** Due times of the rows held since the batch began (`hold`), the first `held` of them. */
  private due = new Float64Array(1024);
  private held = 0;

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

  /** As `add`, with arrival taken at the batch's `end`. */
  hold(row: Q1Row, dueMs: number, anchorMs: number): void {
    if (dueMs - anchorMs < this.warmupMs) this.warmup++;
    else if (!this.measuring) {
      // Rows held before it are warm-up's: dropped with what was recorded.
      this.measuring = true;
      this.held = 0;
      this.h.reset();
    }
    if (this.held === this.due.length) {
      const grown = new Float64Array(this.due.length * 2);
      grown.set(this.due);
      this.due = grown;
    }
    this.due[this.held++] = dueMs;
    this.fold.add(row);
  }

  /** Every row held arrived by `atMs` (epoch ms): records their latencies. */
  end(atMs: number): void {
    const due = this.due;
    for (let i = 0; i < this.held; i++) this.h.recordMs(atMs - due[i]!);
    this.held = 0;
  }

  /** Rows held and not yet ended. */
  get holding(): number {
    return this.held;
  }

  part(): EventLatencyPart {
    if (this.held > 0) throw new Error(`event latencies: ${this.held} rows held, their batch not ended`);
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
