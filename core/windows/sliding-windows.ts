// Runs on: main thread and every worker thread (job definition); `assign` on the window operator's thread.
// Sliding windows: windows of `size` starting every `slide`; a record falls into ceil(size / slide) of them
// (or fewer when slide does not divide size).

import { checkDuration, WindowAssigner } from './window-assigner.js';
import { EventTimeTrigger } from './event-time-trigger.js';
import { ProcessingTimeTrigger } from './processing-time-trigger.js';
import { TimeWindow } from './window.js';
import type { Trigger } from './trigger.js';
import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';

abstract class SlidingWindows extends WindowAssigner<TimeWindow> {
  readonly fingerprint: string;

  protected constructor(readonly size: number, readonly slide: number, readonly offset: number, kind: string) {
    super();
    checkDuration(size, 'size', kind);
    checkDuration(slide, 'slide', kind);
    if (!Number.isSafeInteger(offset) || Math.abs(offset) >= slide) throw new JobDefinitionError(`${kind}: offset must be an integer with |offset| < slide, got ${shownValue(offset)}`);
    this.fingerprint = `${kind}(${size},${slide},${offset})`;
  }

  assign(_e: unknown, timestamp: number, out: number[]): number {
    const { size, slide } = this;
    let n = 0;
    // From the latest window holding the record back to the earliest (Flink's order).
    for (let start = TimeWindow.startOf(timestamp, this.offset, slide); start > timestamp - size; start -= slide) {
      out[n++] = start;
      out[n++] = start + size;
    }
    return n >> 1;
  }

  window(start: number, end: number): TimeWindow {
    return new TimeWindow(start, end);
  }
}

export class SlidingEventTimeWindows extends SlidingWindows {
  readonly isEventTime = true;

  /** Windows of `size` ms, one starting every `slide` ms (aligned to the epoch shifted by `offset`). */
  static of(size: number, slide: number, offset = 0): SlidingEventTimeWindows {
    return new SlidingEventTimeWindows(size, slide, offset, 'SlidingEventTimeWindows');
  }

  defaultTrigger(): Trigger<TimeWindow> {
    return EventTimeTrigger.create();
  }
}

export class SlidingProcessingTimeWindows extends SlidingWindows {
  readonly isEventTime = false;

  static of(size: number, slide: number, offset = 0): SlidingProcessingTimeWindows {
    return new SlidingProcessingTimeWindows(size, slide, offset, 'SlidingProcessingTimeWindows');
  }

  defaultTrigger(): Trigger<TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
}
