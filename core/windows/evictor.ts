// Runs on: main thread (job definition) and the worker thread of the window operator. Evictors (Flink's): which
// of a window's elements a firing leaves out, before the window function (the default) or after it. A window with
// an evictor keeps every element, as in Flink, and reduces or aggregates them when it fires.

import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';

/** Removes elements from a window's list (values and their timestamps, in arrival order) when it fires. */
export abstract class Evictor {
  abstract readonly fingerprint: string;
  /** After the window function instead of before it. */
  abstract readonly after: boolean;
  /** How many of the oldest elements to drop (count), or which to keep (time): applied in place. */
  abstract evict(values: unknown[], timestamps: number[]): void;
}

/** Keeps the last `maxCount` elements (Flink's CountEvictor). */
export class CountEvictor extends Evictor {
  readonly fingerprint: string;
  private constructor(readonly maxCount: number, readonly after: boolean) {
    super();
    this.fingerprint = `count(${maxCount}${after ? ',after' : ''})`;
  }

  static of(maxCount: number, doEvictAfter = false): CountEvictor {
    if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new JobDefinitionError(`CountEvictor.of: maxCount must be an integer >= 1, got ${shownValue(maxCount)}`);
    return new CountEvictor(maxCount, doEvictAfter);
  }

  evict(values: unknown[], timestamps: number[]): void {
    const drop = values.length - this.maxCount;
    if (drop <= 0) return;
    values.splice(0, drop);
    timestamps.splice(0, drop);
  }
}

/**
 * Keeps the elements whose timestamp is within `windowSizeMs` of the newest one's (Flink's TimeEvictor): those at
 * or before newest - windowSizeMs go. Elements without a timestamp are kept.
 */
export class TimeEvictor extends Evictor {
  readonly fingerprint: string;
  private constructor(readonly windowSizeMs: number, readonly after: boolean) {
    super();
    this.fingerprint = `time(${windowSizeMs}${after ? ',after' : ''})`;
  }

  static of(windowSizeMs: number, doEvictAfter = false): TimeEvictor {
    if (!Number.isFinite(windowSizeMs) || windowSizeMs < 0) throw new JobDefinitionError(`TimeEvictor.of: windowSizeMs must be a finite number >= 0, got ${shownValue(windowSizeMs)}`);
    return new TimeEvictor(windowSizeMs, doEvictAfter);
  }

  evict(values: unknown[], timestamps: number[]): void {
    let newest = -Infinity;
    for (const t of timestamps) if (t > newest) newest = t;
    if (newest === -Infinity) return;
    const cutoff = newest - this.windowSizeMs;
    let w = 0;
    for (let i = 0; i < values.length; i++) {
      const t = timestamps[i]!;
      if (t <= cutoff) continue;
      values[w] = values[i];
      timestamps[w++] = t;
    }
    values.length = w;
    timestamps.length = w;
  }
}
