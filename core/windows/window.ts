// Runs on: the worker thread of a window operator (and the main thread, where assigners are defined). What a
// window is: a span of time [start, end) that elements fall into, or the one global window of all elements.
//
// The window operator identifies every window by two numbers, start and end (maxTimestamp = end - 1), so it can
// find a window's state without allocating an object per record; these classes are what user functions and
// triggers see. Windows are plain data in checkpoints ({start, end}) and are rebuilt by the assigner on restore.

import { MAX_WATERMARK, MIN_WATERMARK } from '../time/watermark.js';

export interface Window {
  /** The largest timestamp that still belongs to the window; window results carry it as their event time. */
  maxTimestamp(): number;
}

/** A span of time [start, end), in ms. */
export class TimeWindow implements Window {
  constructor(readonly start: number, readonly end: number) {}

  maxTimestamp(): number {
    return maxTimestampOf(this.end);
  }

  /** Whether the two windows overlap or touch (Flink's rule: session windows that touch merge). */
  intersects(other: TimeWindow): boolean {
    return this.start <= other.end && this.end >= other.start;
  }

  /** The smallest window containing both. */
  cover(other: TimeWindow): TimeWindow {
    return new TimeWindow(Math.min(this.start, other.start), Math.max(this.end, other.end));
  }

  toString(): string {
    return `TimeWindow[${this.start}, ${this.end})`;
  }

  /** The start of the window of `size` (shifted by `offset`) that holds `timestamp`; also for negative times. */
  static startOf(timestamp: number, offset: number, size: number): number {
    // Bounds are whole ms: from the whole ms that holds the timestamp (a fraction made the remainder inexact).
    const t = Math.floor(timestamp);
    const r = (t - offset) % size;
    return t - (r < 0 ? r + size : r);
  }
}

/**
 * The largest timestamp of a window ending at `end`: end - 1, but at most MAX_WATERMARK. A window holding the top
 * of event time ends past it, where end - 1 is no safe integer (it rounds up to end itself, or beyond): a timer
 * there was refused, and the final watermark would never reach it.
 */
export function maxTimestampOf(end: number): number {
  const t = end - 1;
  return t > MAX_WATERMARK ? MAX_WATERMARK : t;
}

/** The first multiple of `interval` after `t`, also for negative t (continuous triggers fire there). */
export function nextMultiple(t: number, interval: number): number {
  return Math.floor(t / interval) * interval + interval;
}

/** The one window of every element (GlobalWindows): it never ends, so only a custom trigger fires it. */
export class GlobalWindow implements Window {
  static readonly INSTANCE = new GlobalWindow();
  /** Its identity for the window operator: [MIN_WATERMARK, MAX_WATERMARK + 1). */
  static readonly START = MIN_WATERMARK;
  static readonly END = MAX_WATERMARK + 1;

  private constructor() {}

  maxTimestamp(): number {
    return MAX_WATERMARK;
  }

  toString(): string {
    return 'GlobalWindow';
  }
}
