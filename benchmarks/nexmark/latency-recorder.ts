// Runs on: the sink subtasks of a Nexmark q1 latency job (one recorder each). Records one latency per event into
// an HdrHistogram (latency-histogram.ts), with a fast path: each latency is counted in a plain array slot, one per
// HdrHistogram bucket, and the counts are added to the histogram when it is read. The histogram's own record
// computes a bucket with Math.pow and log2 per value: ~6% of a q1 latency run's sink thread at 1.1 M events/s
// (cpu profile, 2026-12-03), and ~20% once latencies passed a second (a run behind its schedule, 2026-12-07:
// slower just when its source was trying to catch up). Here the bucket comes from Math.clz32 and shifts, the
// HdrHistogram's own formula in 32 bits, so a slot holds exactly the values one of its buckets holds and the
// histogram read is the same either way; `fast: false` turns the fast path off.

import type * as hdr from 'hdr-histogram-js';
import { latencyHistogram, recordMs } from './latency-histogram.js';

// The bucket layout of latencyHistogram() (lowest discernible value 1 µs, 3 significant digits): values below
// 2^SUB_BUCKET_BITS count one per µs; each power of two above that is split into 2^HALF_BITS equal slots.
const SUB_BUCKET_BITS = 11;
const HALF_BITS = SUB_BUCKET_BITS - 1;
const SUB_BUCKET_MASK = (1 << SUB_BUCKET_BITS) - 1;
/** Latencies from this many µs (35.8 min) on take the HdrHistogram's own record. */
export const FAST_LIMIT_US = 2 ** 31;
/** Buckets below FAST_LIMIT_US: bucket b holds values up to 2^(SUB_BUCKET_BITS + b). */
const BUCKETS = 31 - SUB_BUCKET_BITS + 1;
const SLOTS = (BUCKETS + 1) << HALF_BITS;

/** The slot of `us` (0 <= us < FAST_LIMIT_US, whole): the HdrHistogram's counts index for it. */
export function slotOf(us: number): number {
  const bucket = 32 - SUB_BUCKET_BITS - Math.clz32(us | SUB_BUCKET_MASK);
  return ((bucket + 1) << HALF_BITS) + (us >>> bucket) - (1 << HALF_BITS);
}

/** The lowest value slot `i` holds (the HdrHistogram records any value of a slot's range in the same count). */
export function slotValue(i: number): number {
  const bucket = Math.max(0, (i >>> HALF_BITS) - 1);
  const sub = i - ((bucket + 1) << HALF_BITS) + (1 << HALF_BITS);
  return sub * 2 ** bucket;
}

export class LatencyRecorder {
  private readonly h = latencyHistogram();
  /** Count per slot, not yet in `h` (at most one per event: 2^32 is far off). */
  private readonly counts: Uint32Array | undefined;

  constructor(fast = true) {
    this.counts = fast ? new Uint32Array(SLOTS) : undefined;
  }

  /** Records a latency of `ms` milliseconds, as whole microseconds (a negative one, clock jitter, as 0). */
  recordMs(ms: number): void {
    const c = this.counts;
    if (c !== undefined) {
      const us = Math.max(0, Math.round(ms * 1000));
      if (us < FAST_LIMIT_US) { c[slotOf(us)]!++; return; }
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
      for (let i = 0; i < SLOTS; i++) if (c[i]! > 0) this.h.recordValueWithCount(slotValue(i), c[i]!);
      c.fill(0);
    }
    return this.h;
  }
}
