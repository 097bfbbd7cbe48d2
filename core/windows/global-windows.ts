// Runs on: main thread and every worker thread (job definition); `assign` on the window operator's thread.
// One window per key holding every record; it fires only by a trigger of its own (CountTrigger, ...).

import { WindowAssigner } from './window-assigner.js';
import { NeverTrigger } from './never-trigger.js';
import { GlobalWindow } from './window.js';
import type { Trigger } from './trigger.js';

export class GlobalWindows extends WindowAssigner<GlobalWindow> {
  readonly isEventTime = false;
  readonly fingerprint = 'GlobalWindows';

  private constructor() {
    super();
  }

  static create(): GlobalWindows {
    return new GlobalWindows();
  }

  assign(_e: unknown, _ts: number, out: number[]): number {
    out[0] = GlobalWindow.START;
    out[1] = GlobalWindow.END;
    return 1;
  }

  window(): GlobalWindow {
    return GlobalWindow.INSTANCE;
  }

  defaultTrigger(): Trigger<GlobalWindow> {
    return new NeverTrigger();
  }
}
