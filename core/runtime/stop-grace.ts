// Runs on: main thread. The grace period of a stop (cancel, failure): threads that have not stopped when it ends are
// terminated. Not while one is handing over what its sinks give back after the stop (a cancelled collect sink's
// records, HANDING_OVER) and its handover moved during the period: it has answered the stop, and terminated it would
// lose the records the cancelled run's result holds; the period then starts again. A handover that did not move for
// a whole period (a record's getter that never returns) is terminated with the rest: a cancel always ends.

import { handOverMark } from './job-control.js';
import type { RunOptions } from './run-options.js';
import type { CommitStop } from '../checkpoint/sink-commit-wait.js';

/** setTimeout's largest delay (2^31 - 1 ms); a larger one fires after 1 ms. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How long a stop waits for threads, and a cancel for a sinks' commit (RunOptions.stopGraceMs). */
export function stopGraceOf(options: RunOptions): number {
  return options.stopGraceMs ?? 5000;
}

/**
 * What ends the run's wait for a sinks' commit: the run's cancel, stopGraceMs after it; a failed attempt's,
 * `failureGraceMs` after the failure. Before an attempt runs (a restore's publish) no failure can end it.
 */
export function commitStop(cancelled: Promise<void>, options: RunOptions, failureGraceMs = Infinity): CommitStop {
  return { cancelled, cancelGraceMs: stopGraceOf(options), failureGraceMs };
}

export interface StopGrace {
  clear(): void;
}

export interface StopGraceOptions {
  ms: number;
  control: SharedArrayBuffer;
  threads: number;
  /** The threads whose task has not settled yet. */
  unsettled: () => number[];
  warn: (m: string) => void;
  terminate: () => void;
}

export function startStopGrace(o: StopGraceOptions): StopGrace {
  let waited = false;
  const began = performance.now();
  // A period past setTimeout's range (Infinity included) would fire at once: no timer, the stop waits for them.
  if (!(o.ms <= MAX_TIMER_MS)) return { clear: () => {} };
  const period = Math.max(o.ms, 10);
  // Each thread's handover mark at the last look; none at the first, so a handover under way then has one more
  // period (at most two in all without a part sent) whatever it had done before the grace period began.
  const seen = new Map<number, number>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const names = (ts: number[]): string => `worker thread${ts.length === 1 ? '' : 's'} ${ts.join(', ')}`;
  const check = (): void => {
    const left = o.unsettled();
    if (left.length === 0) return;
    const busy = left.filter((t) => {
      const m = handOverMark(o.control, o.threads, t);
      const moved = m !== 0 && m !== seen.get(t);
      seen.set(t, m);
      return moved;
    });
    if (busy.length > 0) {
      if (!waited) o.warn(`${names(busy)} still ${busy.length === 1 ? 'hands' : 'hand'} over what ${busy.length === 1 ? 'its' : 'their'} sinks return after the stop (a cancelled collect sink's records) when stopGraceMs (${o.ms} ms) has passed: the grace period goes on while the handover moves`);
      waited = true;
      timer = setTimeout(check, period);
      return;
    }
    // After a handover was waited for, the wait was longer than stopGraceMs: say how long, and why it ended.
    const within = waited
      ? `within ${Math.round(performance.now() - began)} ms of the stop (stopGraceMs ${o.ms} ms: the wait goes on only while a handover moves, and none moved for ${period} ms: a part too large to copy in that time, or user code that does not return?)`
      : `within stopGraceMs (${o.ms} ms)`;
    o.warn(`${names(left)} did not stop ${within} and ${left.length === 1 ? 'was' : 'were'} terminated${waited ? '' : ' (user code that does not return?)'}: what ${left.length === 1 ? 'its' : 'their'} sinks held is not in the result`);
    o.terminate();
  };
  // Not unref'd: with both workers dead of OOM at once, a thread's task was seen never to settle, and with nothing
  // else pending the event loop ended under the awaited result ("Promise resolution is still pending"); the
  // pool's destroy settles it.
  timer = setTimeout(check, o.ms);
  return { clear: () => clearTimeout(timer) };
}
