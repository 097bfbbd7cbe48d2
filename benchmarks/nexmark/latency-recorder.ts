// Runs on: the sink subtasks of a Nexmark q1 latency job (one recorder each). Records one latency per event into
// an HdrHistogram (latency-histogram.ts), with a fast path: latencies under DENSE_LIMIT_US are counted in a
// plain array (one increment) and added to the histogram when it is read. The histogram's own record computes
// a bucket with Math.pow and log2 per value: ~6% of a q1 latency run's sink thread at 1.1 M events/s (cpu
// profile, 2026-12-03), time the source thread then lacks to catch up after a stall. The histogram read is the
// same either way (a count per whole microsecond); `dense: false` turns the fast path off.

import type * as hdr from 'hdr-histogram-js';
import { latencyHistogram, recordMs } from './latency-histogram.js';

/**
 * Latencies below this many µs (1.05 s) take the fast path: 4 MB of counts, the usual (low) ones in cache. Not
 * less: after a stall of tens of ms every event waits that long, and at 16.4 ms (the first limit) the slow path
 * then took ~17% of the thread just when its source was trying to catch up (q1 latency run at 2 M events/s).
 */
export const DENSE_LIMIT_US = 1 << 20;

export class LatencyRecorder {
  private readonly h = latencyHistogram();
  /** Count per whole µs below DENSE_LIMIT_US, not yet in `h` (at most one per event: 2^32 is far off). */
  private readonly counts: Uint32Array | undefined;

  constructor(dense = true) {
    this.counts = dense ? new Uint32Array(DENSE_LIMIT_US) : undefined;
  }

  /** Records a latency of `ms` milliseconds, as whole microseconds (a negative one, clock jitter, as 0). */
  recordMs(ms: number): void {
    const c = this.counts;
    if (c !== undefined) {
      const us = Math.max(0, Math.round(ms * 1000));
      if (us < DENSE_LIMIT_US) { c[us]!++; return; }
    }
    recordMs(this.h, ms);
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.h.reset();
    this.counts?.fill(0);
  }

  /** The histogram of every latency recorded since the last reset. */
  histogram(): hdr.Histogram {
    const c = this.counts;
    if (c !== undefined) {
      for (let us = 0; us < DENSE_LIMIT_US; us++) if (c[us]! > 0) this.h.recordValueWithCount(us, c[us]!);
      c.fill(0);
    }
    return this.h;
  }
}
