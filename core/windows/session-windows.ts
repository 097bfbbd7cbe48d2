// Runs on: main thread and every worker thread (job definition); `assign` on the window operator's thread.
// Session windows: each record opens a window [t, t + gap); windows of one key that overlap or touch merge
// (the window operator merges them, their contents and their trigger state), so a session ends after a gap of
// inactivity.

import { checkDuration, WindowAssigner } from './window-assigner.js';
import { EventTimeTrigger } from './event-time-trigger.js';
import { ProcessingTimeTrigger } from './processing-time-trigger.js';
import { TimeWindow } from './window.js';
import type { Trigger } from './trigger.js';

abstract class SessionWindows extends WindowAssigner<TimeWindow> {
  override readonly isMerging = true;
  readonly fingerprint: string;

  protected constructor(readonly gap: number, kind: string) {
    super();
    checkDuration(gap, 'gap', kind);
    this.fingerprint = `${kind}(${gap})`;
  }

  assign(_e: unknown, timestamp: number, out: number[]): number {
    out[0] = timestamp;
    out[1] = timestamp + this.gap;
    return 1;
  }

  window(start: number, end: number): TimeWindow {
    return new TimeWindow(start, end);
  }
}

export class EventTimeSessionWindows extends SessionWindows {
  readonly isEventTime = true;

  /** A session ends when a key has no record for `gap` ms of event time. */
  static withGap(gap: number): EventTimeSessionWindows {
    return new EventTimeSessionWindows(gap, 'EventTimeSessionWindows');
  }

  defaultTrigger(): Trigger<TimeWindow> {
    return EventTimeTrigger.create();
  }
}

export class ProcessingTimeSessionWindows extends SessionWindows {
  readonly isEventTime = false;

  /** A session ends when a key has no record for `gap` ms of wall time. */
  static withGap(gap: number): ProcessingTimeSessionWindows {
    return new ProcessingTimeSessionWindows(gap, 'ProcessingTimeSessionWindows');
  }

  defaultTrigger(): Trigger<TimeWindow> {
    return ProcessingTimeTrigger.create();
  }
}
