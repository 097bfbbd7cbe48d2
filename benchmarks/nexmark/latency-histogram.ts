// Runs on: the sink subtasks of a Nexmark latency job (recording) and the benchmark's main thread (merging).
// Latencies in an HdrHistogram: each sink subtask records into its own, hands it back encoded (a string crosses
// threads as is), and the main thread adds them up, so the percentiles are over every event of every subtask.

import * as hdr from 'hdr-histogram-js';

/** Microseconds, 3 significant digits; grows past a minute if a latency ever does (a stalled run). */
export function latencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Records a latency of `ms` milliseconds, as whole microseconds (a negative one, clock jitter, as 0). */
export function recordMs(h: hdr.Histogram, ms: number): void {
  h.recordValue(Math.max(0, Math.round(ms * 1000)));
}

export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** One histogram holding every value of the encoded ones. */
export function mergeHistograms(encoded: readonly string[]): hdr.Histogram {
  const merged = latencyHistogram();
  for (const e of encoded) merged.add(hdr.decodeFromCompressedBase64(e));
  return merged;
}

export interface LatencySummary {
  /** Latencies recorded. */
  count: number;
  /** Percentiles and maximum, µs; null when nothing was recorded. */
  p50Us: number | null;
  p99Us: number | null;
  p999Us: number | null;
  maxUs: number | null;
}

export function summarize(h: hdr.Histogram): LatencySummary {
  const count = h.totalCount;
  if (count === 0) return { count, p50Us: null, p99Us: null, p999Us: null, maxUs: null };
  // A percentile is reported as the top of its bucket, which can lie above the largest value recorded.
  const maxUs = h.maxValue;
  const at = (p: number): number => Math.min(h.getValueAtPercentile(p), maxUs);
  return { count, p50Us: at(50), p99Us: at(99), p999Us: at(99.9), maxUs };
}
