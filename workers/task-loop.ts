// Runs on: a worker thread. The thread's one long-lived loop over the subtasks placed on it.
//
// Each round gives every live subtask a bounded step. When a whole round does nothing, the thread flushes its
// outputs and parks on its doorbell, which producers ring when they publish data to one of its inputs and
// consumers ring when they free space in a ring it is blocked on. It parks with Atomics.waitAsync (holding a
// ref'd timer: nodejs/node#44729) so timers and promises (rate limits, async sources) keep running; a park
// shorter than a millisecond blocks instead (Atomics.wait), since a timer could not end it in time.

import type { Doorbell } from '../shm/doorbell.js';
import { keptAlive, type WaitStrategy } from '../shm/wait-strategy.js';
import {
  JOB_STOP, LOOP_ENDED, METRIC_BACKPRESSURED_MS, METRIC_BAD_RECORDS, METRIC_BUSY_MS, METRIC_IDLE_MS, METRIC_OP_DEAD_LETTERED, METRIC_OP_DROPPED, METRIC_OP_SIDE_OUTPUT,
  METRIC_OP_LATE_DROPPED, METRIC_OP_RECORDS_IN, METRIC_OP_RECORDS_OUT, METRIC_WATERMARK, METRIC_ALIGNMENT_HELD_MS, metricOperatorAt,
  METRIC_ASYNC_WAIT_MS, METRIC_OP_CAPACITY, METRIC_OP_IN_FLIGHT, METRIC_WATERMARK_IDLE, METRIC_LATENCY_MARKERS_DROPPED,
} from '../shm/layout.js';
import { JobCancelledError } from '../core/api/errors.js';
import { eventLoopTurns, loopCameBack, type EventLoopTurns } from '../core/operators/task-context.js';
import { FINISHED, type Subtask } from './subtask.js';

export interface LoopOptions {
  /** Records per subtask step. */
  budget: number;
  /** Longest time a record may wait in an unflushed output batch. */
  bufferTimeoutMs: number;
  /** Longest stretch of work without giving the event loop a turn. */
  yieldEveryMs: number;
  wait: WaitStrategy;
  /**
   * Parks shorter than this (ms) block the thread (Atomics.wait: µs precision) instead of an event-loop wait,
   * whose timeout is a timer of 1 ms granularity; the event loop still gets a turn every `fineWaitMs`. 0: never.
   */
  fineWaitMs: number;
  /** Microtask turns given to settled promises before parking, while a subtask awaits one (0: none). */
  settleHops: number;
  /** Int32 index in `control` of this thread's loop-turn counter (shm/layout.ts jobLoopTurns). */
  turnsAt: number;
}

/** One turn of the event loop: timers, I/O, messages and settled promises run before it resolves. */
export function eventLoopTurn(eventLoop: EventLoopTurns): Promise<void> {
  return new Promise<void>((r) => setImmediate(() => { loopCameBack(eventLoop, performance.now()); r(); }));
}

/** Idle time; an aligned source held back by its group counts it as held too. */
function idle(s: Subtask, ms: number): void {
  s.idleMs += ms;
  if (s.held) s.alignmentHeldMs += ms;
}

/**
 * How a subtask stood while its thread ran something else (busy-time accounting): READY, it had work it could do
 * (Subtask.hasWork), so it was busy, as in Flink, where its own thread would have run it; else backpressured when
 * blocked on a full output, waiting for async results when an async operator has requests in flight (a saturated
 * asyncMap read as an idle task), idle otherwise.
 */
const IDLE = 0;
const BACKPRESSURED = 1;
const READY = 2;
const ASYNC_WAIT = 3;

/** Not READY: backpressured, waiting for async results, or idle. */
function waiting(s: Subtask): number {
  return s.blocked() ? BACKPRESSURED : s.awaitsResults() ? ASYNC_WAIT : IDLE;
}

function standing(s: Subtask, now: number, wall: number): number {
  return s.hasWork(now, wall) ? READY : waiting(s);
}

function count(s: Subtask, as: number, ms: number): void {
  if (as === READY) s.busyMs += ms;
  else if (as === BACKPRESSURED) s.backpressuredMs += ms;
  else if (as === ASYNC_WAIT) s.asyncWaitMs += ms;
  else idle(s, ms);
}

/** Time in which `live` did nothing: backpressured, waiting for async results or idle, as each stands. */
function countWaited(live: readonly Subtask[], ms: number): void {
  for (const s of live) count(s, waiting(s), ms);
}

/**
 * Writes each subtask's figures into its block of the job's metrics buffer: every 100 ms while the loop runs, as it
 * ends, and once more after the thread closed its operators (an async operator's held markers are dropped there).
 */
export function publishMetrics(subtasks: readonly Subtask[], metrics: Float64Array, metricOffsets: readonly number[]): void {
  for (let i = 0; i < subtasks.length; i++) {
    const st = subtasks[i]!;
    const base = metricOffsets[i]!;
    metrics[base + METRIC_BUSY_MS] = st.busyMs;
    metrics[base + METRIC_BACKPRESSURED_MS] = st.backpressuredMs;
    metrics[base + METRIC_IDLE_MS] = st.idleMs;
    metrics[base + METRIC_WATERMARK] = st.emittedWatermark();
    metrics[base + METRIC_WATERMARK_IDLE] = st.watermarkIdle() ? 1 : 0;
    metrics[base + METRIC_BAD_RECORDS] = st.badRecords;
    metrics[base + METRIC_ALIGNMENT_HELD_MS] = st.alignmentHeldMs;
    metrics[base + METRIC_ASYNC_WAIT_MS] = st.asyncWaitMs;
    st.latency?.histogram?.publish(metrics, base);
    let markersDropped = 0;
    for (let k = 0; k < st.operators.length; k++) {
      const op = st.operators[k]!;
      const o = metricOperatorAt(base, k);
      const fromSource = k === 0 && st.source !== undefined;
      // A source's input is every record it read: emitted, or rejected by its error policy.
      metrics[o + METRIC_OP_RECORDS_IN] = fromSource ? st.sourceRecords + op.dropped + op.deadLettered : op.recordsIn;
      metrics[o + METRIC_OP_RECORDS_OUT] = fromSource ? st.sourceRecords : op.recordsOut;
      metrics[o + METRIC_OP_LATE_DROPPED] = op.lateRecordsDropped;
      metrics[o + METRIC_OP_DROPPED] = op.dropped;
      metrics[o + METRIC_OP_DEAD_LETTERED] = op.deadLettered;
      metrics[o + METRIC_OP_SIDE_OUTPUT] = op.sideOutputRecords;
      const held = op as { inFlight?: number; capacity?: number; latencyMarkersDropped?: number };
      if (held.capacity !== undefined) {
        metrics[o + METRIC_OP_IN_FLIGHT] = held.inFlight!;
        metrics[o + METRIC_OP_CAPACITY] = held.capacity;
      }
      markersDropped += held.latencyMarkersDropped ?? 0;
    }
    metrics[base + METRIC_LATENCY_MARKERS_DROPPED] = markersDropped;
  }
}

export async function runTaskLoop(
  subtasks: Subtask[],
  bell: Doorbell,
  control: Int32Array,
  metrics: Float64Array,
  metricOffsets: number[],
  options: LoopOptions,
): Promise<void> {
  let live = subtasks.slice();
  let lastFlush = performance.now();
  let lastYield = lastFlush;
  let lastMetrics = lastFlush;
  const publish = (): void => publishMetrics(subtasks, metrics, metricOffsets);
  // Every moment of the loop is counted to each live subtask as busy, idle or backpressured: `counted` is how far.
  let counted = lastFlush;
  let turns = 0;
  // This loop's turns, for its sources' idleness (TimestampsOperator): the loop's own, not module state (a kept
  // thread runs job after job).
  const started = performance.now();
  const eventLoop = eventLoopTurns(started);
  for (const s of subtasks) s.ctx.eventLoop = eventLoop;
  try {
    while (live.length > 0) {
      // Seen by the coordinator: a thread whose count stands still while it is not parked is stuck in one call.
      Atomics.store(control, options.turnsAt, ++turns | 0);
      if (Atomics.load(control, JOB_STOP) !== 0) throw new JobCancelledError('job stopped');
      let work = 0;
      const roundStart = performance.now();
      // Since the last round (flushes, event-loop turns): each as it stood after its step, if it worked in it.
      for (let i = 0; i < live.length; i++) {
        const st = live[i]!;
        count(st, st.lastWork > 0 ? st.standingAfter : waiting(st), roundStart - counted);
      }
      const wall = Date.now();
      for (let i = 0; i < live.length; i++) live[i]!.standingBefore = standing(live[i]!, roundStart, wall);
      let t = roundStart;
      for (let i = 0; i < live.length; i++) {
        const st = live[i]!;
        const w = st.step(options.budget);
        const end = performance.now();
        st.lastWork = w;
        st.stepFrom = t;
        st.stepTo = end;
        st.standingAfter = standing(st, end, wall);
        t = end;
        work += w;
      }
      // Each subtask's own step is busy if it worked. Its neighbours' steps are busy only while it had work it could
      // do (Flink's busy: neither idle nor backpressured): before its step as it stood at the round's start (only
      // it reads its inputs and fills its outputs, so work it had then was still there), after as it stood after
      // its step. Counting the whole round busy for any subtask that worked gave a light one beside a heavy one
      // nearly the heavy one's busy time. One that could do nothing waited: on a full output (backpressured) or
      // for input; per subtask, so a task waiting on output counts as backpressured while its thread runs others.
      if (work > 0) {
        for (let i = 0; i < live.length; i++) {
          const st = live[i]!;
          count(st, st.standingBefore, st.stepFrom - roundStart);
          count(st, st.lastWork > 0 ? READY : st.standingAfter === READY ? IDLE : st.standingAfter, st.stepTo - st.stepFrom);
          count(st, st.standingAfter, t - st.stepTo);
        }
        counted = t;
      }
      if (live.some((s) => s.state === FINISHED)) {
        for (const s of live) if (s.state === FINISHED) s.flush();
        live = live.filter((s) => s.state !== FINISHED);
      }
      let now = performance.now();
      if (now - lastFlush >= options.bufferTimeoutMs) {
        for (const s of live) s.flush();
        lastFlush = now;
      }
      if (now - lastMetrics >= 100) {
        publish();
        lastMetrics = now;
      }
      if (work > 0) {
        if (now - lastYield >= options.yieldEveryMs) {
          await eventLoopTurn(eventLoop);
          lastYield = performance.now();
        }
        continue;
      }
      // Nothing to do: make everything visible, then park unless the re-check finds work. Arm first, announce
      // second, re-check last (see doorbell.ts): a publish or a freed ring after the arm moves the doorbell.
      for (const s of live) s.flush();
      lastFlush = now;
      // An async operator's request that resolved at once (a cache hit) settles in a microtask, which runs only
      // when this loop awaits: a few awaits let it, where a park and its wake-up cost ~50-100 µs per result.
      let found = false;
      if (options.settleHops > 0 && live.some((s) => s.awaitsEventLoop())) {
        for (let k = 0; k < options.settleHops && !found; k++) {
          await undefined;
          found = live.some((s) => s.canProgress());
        }
      }
      // Spin briefly before parking: a park/wake round trip costs ~30 µs, a re-check well under 1 µs. Bounded,
      // since a spinning thread takes the other core's time on a 2-core machine; `spin: 0` turns it off.
      for (let k = 0; k < options.wait.spin && !found; k++) found = live.some((s) => s.canProgress());
      if (found) {
        // The round, the hops and the spin were waiting too: uncounted, a thread whose paced source is due every
        // few µs (found on its next spin) showed most of its time as neither busy nor idle.
        counted = performance.now();
        countWaited(live, counted - roundStart);
        continue;
      }
      const seq = bell.arm();
      for (const s of live) s.announceBlocked(true);
      const ready = live.some((s) => s.canProgress()) || Atomics.load(control, JOB_STOP) !== 0;
      let blocked = false;
      let yielded = false;
      if (!ready) {
        // Wake for the earliest processing-time timer (watermark emission, windows, user timers) or a paced
        // source's next record, if nothing else comes first.
        let wakeIn = Infinity;
        for (const s of live) { const w = s.wakeInMs(); if (w < wakeIn) wakeIn = w; }
        const timeout = Math.max(0, Math.min(options.wait.parkTimeoutMs, wakeIn));
        if (timeout < options.fineWaitMs && !live.some((s) => s.awaitsEventLoop())) {
          // An event-loop wait would end on a timer, a millisecond late or more: a record due in 0.2 ms would
          // wait 1 ms. Block instead, unless a promise is due to wake a subtask (it could not settle while the
          // thread blocks); a producer's ring still ends the wait early (the doorbell's protocol).
          bell.park(seq, timeout);
          blocked = true;
        } else {
          // No promise when the doorbell already moved or the timeout is 0 (a timer due): then nothing yielded.
          const pending = bell.parkAsync(seq, timeout);
          if (pending) { await keptAlive(options.wait, pending); loopCameBack(eventLoop, performance.now()); yielded = true; }
        }
      } else {
        // A round that did nothing but found work pending (a source whose promise is about to settle): give
        // the event loop a turn, or the loop could spin without ever letting that promise settle.
        await eventLoopTurn(eventLoop);
        yielded = true;
      }
      bell.disarm();
      for (const s of live) s.announceBlocked(false);
      now = performance.now();
      // From the round's start: its steps found nothing to do, so they were waiting as much as the park.
      countWaited(live, now - roundStart);
      counted = now;
      if (yielded) lastYield = now;
      else if (now - lastYield >= (blocked ? options.fineWaitMs : options.yieldEveryMs)) {
        // Short blocking parks, and parks that returned at once, give promises and messages (async sources and
        // operators, checkpoint messages) no turn. Counted as a turn, a park that never waited left an asyncMap's
        // settled requests unrun for good while a blocked subtask's due timer kept the park's timeout at 0.
        await eventLoopTurn(eventLoop);
        lastYield = performance.now();
      }
    }
  } finally {
    // Its count stands still from now on, and that is no hang: the coordinator skips the thread.
    Atomics.store(control, options.turnsAt + LOOP_ENDED, 1);
    publish();
  }
}
