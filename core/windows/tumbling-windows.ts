// Runs on: main thread and every worker thread (job definition); `assign` on the window operator's thread.
// Tumbling windows: fixed-size, non-overlapping windows [k * size + offset, (k + 1) * size + offset); every record
// falls into exactly one.

import { checkDuration, WindowAssigner } from './window-assigner.js';
import { EventTimeTrigger } from './event-time-trigger.js';
import { ProcessingTimeTrigger } from './processing-time-trigger.js';
import { TimeWindow } from './window.js';
import type { Trigger } from './trigger.js';
import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';

abstract class TumblingWindows extends WindowAssigner<TimeWindow> {
  readonly fingerprint: string;

  protected constructor(readonly size: number, readonly offset: number, kind: string) {
    super();
    checkDuration(size, 'size', kind);
    if (!Number.isSafeInteger(offset) || Math.abs(offset) >= size) throw new JobDefinitionError(`${kind}: offset must be an integer with |offset| < size, got ${shownValue(offset)}`);
    this.fingerprint = `${kind}(${size},${offset})`;
  }

  assign(_e: unknown, timestamp: number, out: number[]): number {
    const start = TimeWindow.startOf(timestamp, this.offset, this.size);
    out[0] = start;
    out[1] = start + this.size;
    return 1;
  }

  window(start: number, end: number): TimeWindow {
    return new TimeWindow(start, end);
  }
}

export class TumblingEventTimeWindows extends TumblingWindows {
  readonly isEventTime = true;

  /** Windows of `size` ms, aligned to the epoch shifted by `offset` ms. */
  static of(size: number, offset = 0): TumblingEventTimeWindows {
    return new TumblingEventTimeWindows(size, offset, 'TumblingEventTimeWindows');
  }

  defaultTrigger(): Trigger<TimeWindow> {
    return EventTimeTrigger.create();
  }
}

export class TumblingProcessingTimeWindows extends TumblingWindows {
  readonly isEventTime = false;

  static of(size: number, offset = 0): TumblingProcessingTimeWindows {
    return new TumblingProcessingTimeWindows(size, offset, 'TumblingProcessingTimeWindows');
  }

  defaultTrigger(): Trigger<TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
}
