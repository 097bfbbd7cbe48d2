// Runs on: main thread. Says when a worker thread has been in one call for a while (user code that does not
// return, or a task that takes that long to build, restore or open): without it such a job showed 0 events/s
// with no word, and without checkpointing no checkpoint timed out to name the thread (LoopWatch: how a thread
// counts as in one call). Once per episode: a thread that turns again may be said again later.

import type { PhysicalPlan } from '../graph/physical-plan.js';
import { LoopWatch, tasksOnThread } from './loop-watch.js';

/** How long a thread is in one call before it is said, by default (run option `stuckWarningMs`). */
export const STUCK_WARNING_MS = 30_000;

export interface StuckWatch {
  close(): void;
}

/**
 * Samples every thread's loop turns and warns once a thread has been in one call for `afterMs` (Infinity or 0:
 * never). `quiet()`: true while the run stops (a stuck thread is then terminated after the stop's grace period).
 */
export function watchStuckThreads(control: Int32Array, plan: PhysicalPlan, afterMs: number, warn: (message: string) => void, quiet: () => boolean): StuckWatch {
  if (!(afterMs > 0 && afterMs < Infinity)) return { close() {} };
  const loops = new LoopWatch(control, plan.threads);
  const said = new Set<number>();
  // A few samples per period: a thread that turned between two of them is not stuck.
  const timer = setInterval(() => {
    const stuck = loops.stuck(afterMs);
    const now = new Set(stuck.map((s) => s.thread));
    for (const t of said) if (!now.has(t)) said.delete(t);
    if (quiet()) return;
    for (const { thread, inCallMs } of stuck) {
      if (said.has(thread)) continue;
      said.add(thread);
      warn(`thread ${thread} has been in one call for ${Math.round(inCallMs / 1000)} s, running ${tasksOnThread(plan, thread)}: user code that does not return (a loop, a synchronous wait), or a task still building, restoring or opening? Its subtasks process nothing meanwhile; a cancel ends it`);
    }
  }, Math.max(10, Math.min(1000, afterMs / 4)));
  timer.unref();
  return { close: () => clearInterval(timer) };
}
