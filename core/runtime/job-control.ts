// Runs on: main thread and worker threads. The job's control buffer (shm/layout.ts): its stop flag and the
// doorbell of every thread. One place for the stop protocol, which the main thread (cancel, a dead worker) and a
// failing worker (at once, without waiting for the main thread) both run.

import { Doorbell } from '../../shm/doorbell.js';
import { HANDING_OVER, jobDoorbell, jobLoopTurns, JOB_STOP } from '../../shm/layout.js';

/** The doorbell thread `thread` parks on. */
export function threadBell(control: SharedArrayBuffer, thread: number): Doorbell {
  return new Doorbell(control, jobDoorbell(thread));
}

/**
 * Sets the stop flag, then rings every thread's doorbell. Flag first: a thread woken by the ring re-checks the
 * flag, so it cannot park again having missed it.
 */
export function signalStop(control: SharedArrayBuffer, threads: number): void {
  Atomics.store(new Int32Array(control), JOB_STOP, 1);
  for (let t = 0; t < threads; t++) threadBell(control, t).ringAlways();
}

/**
 * Runs `post` with thread `thread`'s handing-over flag set (HANDING_OVER): a post of what its sinks hand back after
 * a stop, which the stop's grace period waits for instead of terminating the thread.
 */
export function handingOver<T>(control: SharedArrayBuffer, threads: number, thread: number, post: () => T): T {
  const at = jobLoopTurns(threads, thread) + HANDING_OVER;
  const c = new Int32Array(control);
  Atomics.store(c, at, 1);
  try { return post(); } finally { Atomics.store(c, at, 0); }
}

/** Whether thread `thread` is posting what its sinks hand back after a stop (handingOver). */
export function isHandingOver(control: SharedArrayBuffer, threads: number, thread: number): boolean {
  return Atomics.load(new Int32Array(control), jobLoopTurns(threads, thread) + HANDING_OVER) === 1;
}
