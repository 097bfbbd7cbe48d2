// Runs on: main thread and worker threads. The job's control buffer (shm/layout.ts): its stop flag and the
// doorbell of every thread. One place for the stop protocol, which the main thread (cancel, a dead worker) and a
// failing worker (at once, without waiting for the main thread) both run.

import { Doorbell } from '../../shm/doorbell.js';
import { HANDING_OVER, jobDoorbell, jobLoopTurns, JOB_STOP, STOP_CANCELLED, STOP_FAILED } from '../../shm/layout.js';

/** The doorbell thread `thread` parks on. */
export function threadBell(control: SharedArrayBuffer, thread: number): Doorbell {
  return new Doorbell(control, jobDoorbell(thread));
}

/**
 * Sets the stop flag (the first stop's cause stays: `failed`, or a cancel), then rings every thread's doorbell.
 * Flag first: a thread woken by the ring re-checks the flag, so it cannot park again having missed it.
 */
export function signalStop(control: SharedArrayBuffer, threads: number, failed: boolean): void {
  Atomics.compareExchange(new Int32Array(control), JOB_STOP, 0, failed ? STOP_FAILED : STOP_CANCELLED);
  for (let t = 0; t < threads; t++) threadBell(control, t).ringAlways();
}

/** Whether the job was stopped because its attempt failed (its results are dropped), not cancelled. */
export function stoppedForFailure(control: SharedArrayBuffer): boolean {
  return Atomics.load(new Int32Array(control), JOB_STOP) === STOP_FAILED;
}

/**
 * Runs `post` with thread `thread`'s handover mark moving (HANDING_OVER): a post of what its sinks hand back after a
 * stop, which the stop's grace period waits for while it moves. `post` calls `progress` after each part it sent;
 * the end moves it once more and leaves it standing, not 0: the thread's result may still wait behind the parts in
 * the main thread's queue (a grace period's timer runs before it), so a handover just ended gets one more period.
 */
export function handingOver<T>(control: SharedArrayBuffer, threads: number, thread: number, post: (progress: () => void) => T): T {
  const at = jobLoopTurns(threads, thread) + HANDING_OVER;
  const c = new Int32Array(control);
  // Wraps past 2^31 to negative numbers, never to 0 before 2^32 parts: 0 stays "never handed over".
  const progress = (): void => { if (Atomics.add(c, at, 1) === -1) Atomics.store(c, at, 1); };
  progress();
  try { return post(progress); } finally { progress(); }
}

/** Thread `thread`'s handover mark: 0 when it has not handed over its sinks' results, else a count that moves with each part sent and at the end (handingOver). */
export function handOverMark(control: SharedArrayBuffer, threads: number, thread: number): number {
  return Atomics.load(new Int32Array(control), jobLoopTurns(threads, thread) + HANDING_OVER);
}
