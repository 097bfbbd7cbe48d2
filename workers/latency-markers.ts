// Runs on: the worker thread of one subtask. End-to-end latency tracking with Flink-style latency markers.
//
// A source subtask sends a latency marker (a control frame holding its emission time) every
// `latencyTrackingIntervalMs`. Markers travel in order with the records, so one that waits behind records in a
// ring measures the queueing those records see, but they skip the operators themselves (Flink does the same: a
// marker measures transport and waiting, not user code), except async operators (asyncMap): there a marker waits
// until every record taken before it is out (Subtask.passMarker), since that wait is the records' own, however
// long their requests take. Flink's AsyncWaitOperator forwards markers at once: a saturated one read as ~1 ms. Every subtask forwards a marker it receives to each of
// its output gates, on one channel of each, round-robin (Flink's randomEmit: a marker per channel would multiply
// at every exchange). Sinks record (now - emittedAt) in an HdrHistogram; its percentiles are published into the
// job's metrics buffer (shm/layout.ts, METRIC_LATENCY_*).
//
// Clock: `performance.timeOrigin + performance.now()` is wall-clock ms with sub-ms resolution on every thread
// (each thread's own performance.now() starts at that thread's start, so it cannot be compared across threads).

import { createRequire } from 'node:module';
import type * as hdr from 'hdr-histogram-js';
import {
  METRIC_LATENCY_COUNT, METRIC_LATENCY_MAX_MS, METRIC_LATENCY_P50_MS, METRIC_LATENCY_P99_MS, METRIC_LATENCY_P999_MS,
} from '../shm/layout.js';
import type { ControlFrame } from '../shm/codec/control.js';
import type { OutputGate } from './output-gate.js';

export type LatencyMarker = ControlFrame & { type: 'latency-marker' };

/** Percentiles cover the last one to two of these windows (two histograms, the older one dropped at each turn). */
export const LATENCY_WINDOW_MS = 60_000;

/** This thread's clock origin, read once (the getter checks its receiver on every call). */
const TIME_ORIGIN = performance.timeOrigin;

function wallClockMs(): number {
  return TIME_ORIGIN + performance.now();
}

// Loaded on first use: only jobs that track latency need it.
const requireLazy = createRequire(import.meta.url);

function histogram(): hdr.Histogram {
  const { build } = requireLazy('hdr-histogram-js') as typeof hdr;
  // Microseconds, 3 significant digits; grows past the initial minute if a latency ever does.
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Latencies recorded by the sinks of one subtask, over a sliding window. */
export class LatencyHistogram {
  private current = histogram();
  private previous = histogram();
  private readonly merged = histogram();
  private turnedAt = performance.now();
  /** Markers recorded since the subtask started. */
  count = 0;
  /** Recorded since the last publish: the percentiles need recomputing. */
  private dirty = false;

  record(ms: number): void {
    this.current.recordValue(Math.max(0, Math.round(ms * 1000)));
    this.count++;
    this.dirty = true;
  }

  /** Writes count and percentiles (ms) into the subtask's block of the metrics buffer. */
  publish(metrics: Float64Array, base: number): void {
    const now = performance.now();
    if (now - this.turnedAt >= LATENCY_WINDOW_MS) {
      const old = this.previous;
      this.previous = this.current;
      old.reset();
      this.current = old;
      this.turnedAt = now;
      this.dirty = true;
    }
    if (this.dirty) {
      this.dirty = false;
      const h = this.merged;
      h.reset();
      h.add(this.previous);
      h.add(this.current);
      const empty = h.totalCount === 0;
      // A percentile is its bucket's top, which can lie above the exact maximum: never shown above it.
      const at = (p: number): number => Math.min(h.getValueAtPercentile(p), h.maxValue) / 1000;
      metrics[base + METRIC_LATENCY_P50_MS] = empty ? NaN : at(50);
      metrics[base + METRIC_LATENCY_P99_MS] = empty ? NaN : at(99);
      metrics[base + METRIC_LATENCY_P999_MS] = empty ? NaN : at(99.9);
      metrics[base + METRIC_LATENCY_MAX_MS] = empty ? NaN : h.maxValue / 1000;
    }
    // The count last: a reader (which reads it first) that sees markers finds their first percentiles in place.
    metrics[base + METRIC_LATENCY_COUNT] = this.count;
  }
}

/** One subtask's part in latency tracking: emitting (sources), forwarding (everyone), recording (sinks). */
export class LatencyTracking {
  /** Source subtasks: when the next marker is due (Date.now() ms); Infinity elsewhere. */
  nextMarkerAt: number;
  /** Subtasks whose chain ends in a sink: the latencies they saw. */
  readonly histogram: LatencyHistogram | undefined;

  constructor(
    private readonly intervalMs: number,
    /** Set for a source subtask: the source's node id and its subtask index, carried by each marker. */
    private readonly source: { operator: number; subtask: number } | undefined,
    hasSinks: boolean,
  ) {
    this.nextMarkerAt = source ? Date.now() + intervalMs : Infinity;
    this.histogram = hasSinks ? new LatencyHistogram() : undefined;
  }

  /**
   * Source subtasks: sends a marker if one is due, down the chain through `pass` when given (its async operators,
   * then onMarker), else straight to `outputs`. Returns 1 if it did (work done), else 0.
   */
  emitDue(outputs: readonly OutputGate<unknown>[], pass?: (marker: LatencyMarker) => void): number {
    const now = Date.now();
    if (this.source === undefined || now < this.nextMarkerAt) return 0;
    this.nextMarkerAt = now + this.intervalMs;
    const marker: LatencyMarker = { type: 'latency-marker', emittedAtNs: wallClockMs() * 1e6, sourceOperator: this.source.operator, sourceSubtask: this.source.subtask };
    if (pass !== undefined) pass(marker);
    else this.onMarker(marker, outputs);
    return 1;
  }

  /** A marker reached this subtask: record it at the sinks, pass it on through every output gate. */
  onMarker(marker: LatencyMarker, outputs: readonly OutputGate<unknown>[]): void {
    this.histogram?.record(wallClockMs() - marker.emittedAtNs / 1e6);
    for (let i = 0; i < outputs.length; i++) outputs[i]!.controlOne(marker);
  }
}
