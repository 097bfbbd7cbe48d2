// Runs on: the worker thread of a subtask with inputs from other tasks (called by its input gate). Barrier
// alignment as a small state machine: every transition is a function from a state and an event to the next
// state, with its effects (block a channel, take the snapshot, finish the checkpoint) sent to `AlignerEffects`.
//
//   idle ──barrier n (aligned)──▶ aligning(n) ──last barrier n──▶ idle        [snapshot, forward n, unblock]
//     │                              │
//     │                              ├──alignment timeout──▶ collecting(n)    [snapshot, forward n unaligned, unblock]
//     │                              └──barrier n (unaligned)──▶ collecting(n) [snapshot, forward n unaligned, unblock]
//     └──barrier n (unaligned)──▶ collecting(n) ──last barrier n──▶ idle      [channel state complete]
//
// Aligned: a channel that delivered barrier n is blocked until every channel has, so no record after barrier n
// is reflected in snapshot n. Unaligned (or after the alignment timeout): the snapshot is taken at the first
// barrier; records that still arrive on channels whose barrier n has not come yet belong before the barrier, so
// the input gate records them as the checkpoint's channel state (restored ahead of the ring on recovery).
// A checkpoint that went unaligned here sends its barrier on unaligned, as Flink's aligned checkpoint timeout does:
// sent aligned, it waited behind the full output rings that made the alignment slow, and the checkpoint timed out
// downstream instead (the consumers then switch too, at that barrier: aligning ──unaligned barrier──▶ collecting).
// An ended channel counts as having delivered every barrier. A savepoint is always aligned: its alignment never
// times out (a savepoint with channel state could not be restored at another parallelism).

export type AlignerState =
  | { readonly kind: 'idle'; readonly lastId: number }
  | { readonly kind: 'aligning'; readonly id: number; readonly seen: readonly boolean[]; readonly missing: number; readonly startedAt: number; readonly savepoint: boolean }
  | { readonly kind: 'collecting'; readonly id: number; readonly seen: readonly boolean[]; readonly missing: number };

export interface AlignerEffects {
  /** Stop reading a channel that delivered the barrier (aligned mode). */
  block(channel: number): void;
  unblockAll(): void;
  /**
   * Take snapshot `id` now and forward barrier `id`; `recording` lists the channels whose data until their barrier
   * is channel state. `unaligned`: the barrier goes on unaligned (it overtakes the outputs' queued records, which
   * become channel state too), also where the checkpoint began aligned.
   */
  snapshot(id: number, recording: readonly number[], unaligned: boolean): void;
  /** Every channel delivered barrier `id`: the checkpoint's part of this subtask is complete. */
  complete(id: number): void;
  /** Checkpoint `id` was given up here (a newer barrier overtook it). */
  abandon(id: number): void;
}

export const initialAligner: AlignerState = { kind: 'idle', lastId: 0 };

/**
 * A barrier of a checkpoint already finished or given up here (it was stuck behind data on its channel while the
 * next checkpoint began): it changes nothing, and its channel's data after it still belongs to the current one.
 */
export function isStale(s: AlignerState, id: number): boolean {
  return s.kind === 'idle' ? id <= s.lastId : id < s.id;
}

/** Channel `channel` delivered barrier `id`. `ended[i]`: channel i has ended. */
export function onBarrier(
  s: AlignerState, channel: number, id: number, unaligned: boolean, ended: readonly boolean[], now: number, fx: AlignerEffects, savepoint = false,
): AlignerState {
  if (isStale(s, id)) return s;
  if (s.kind === 'idle') return start(channel, id, unaligned, ended, now, fx, savepoint);
  if (id > s.id) {
    // A newer checkpoint overtook this one (it was aborted upstream): give it up and start the new one.
    fx.unblockAll();
    fx.abandon(s.id);
    return start(channel, id, unaligned, ended, now, fx, savepoint);
  }
  if (s.seen[channel]) return s;
  const seen = s.seen.slice();
  seen[channel] = true;
  const missing = s.missing - 1;
  if (s.kind === 'aligning') {
    // An upstream whose alignment timed out sent this barrier on unaligned (or it waited in its ring past the
    // timeout): the checkpoint is unaligned from here on, so this alignment stops waiting for the other channels.
    if (unaligned && !s.savepoint) return switchToUnaligned(s, seen, missing, fx);
    if (missing === 0) {
      fx.snapshot(id, [], false);
      fx.unblockAll();
      fx.complete(id);
      return { kind: 'idle', lastId: id };
    }
    fx.block(channel);
    return { ...s, seen, missing };
  }
  if (missing === 0) {
    fx.complete(id);
    return { kind: 'idle', lastId: id };
  }
  return { ...s, seen, missing };
}

function start(channel: number, id: number, unaligned: boolean, ended: readonly boolean[], now: number, fx: AlignerEffects, savepoint: boolean): AlignerState {
  const seen = ended.map((e, i) => e || i === channel);
  const missing = seen.filter((x) => !x).length;
  if (missing === 0) {
    fx.snapshot(id, [], unaligned);
    fx.complete(id);
    return { kind: 'idle', lastId: id };
  }
  if (unaligned) {
    fx.snapshot(id, unseen(seen), true);
    return { kind: 'collecting', id, seen, missing };
  }
  fx.block(channel);
  return { kind: 'aligning', id, seen, missing, startedAt: now, savepoint };
}

function unseen(seen: readonly boolean[]): number[] {
  const out: number[] = [];
  seen.forEach((x, i) => { if (!x) out.push(i); });
  return out;
}

/** Channel `channel` ended: it will deliver no more barriers, so it no longer holds up an alignment. */
export function onEnd(s: AlignerState, channel: number, fx: AlignerEffects): AlignerState {
  if (s.kind === 'idle' || s.seen[channel]) return s;
  const seen = s.seen.slice();
  seen[channel] = true;
  const missing = s.missing - 1;
  if (missing > 0) return { ...s, seen, missing };
  if (s.kind === 'aligning') {
    fx.snapshot(s.id, [], false);
    fx.unblockAll();
  }
  fx.complete(s.id);
  return { kind: 'idle', lastId: s.id };
}

/** Alignment has taken `timeoutMs` or more: take the snapshot now and record the rest as channel state (not for a savepoint). */
export function onAlignmentTimeout(s: AlignerState, now: number, timeoutMs: number, fx: AlignerEffects): AlignerState {
  if (s.kind !== 'aligning' || s.savepoint || now - s.startedAt < timeoutMs) return s;
  return switchToUnaligned(s, s.seen, s.missing, fx);
}

/** When an alignment under way times out, or 0 when none can (idle, collecting, a savepoint's). */
export function alignmentDeadline(s: AlignerState, timeoutMs: number): number {
  return s.kind === 'aligning' && !s.savepoint ? s.startedAt + timeoutMs : 0;
}

/**
 * aligning → collecting: the snapshot now, the channels still missing recorded until their barrier, and the
 * barrier sent on unaligned: the point of switching is a checkpoint that completes under backpressure, and an
 * aligned barrier would wait behind this subtask's full outputs (Flink sends a timed-out barrier on unaligned).
 */
function switchToUnaligned(s: AlignerState & { kind: 'aligning' }, seen: readonly boolean[], missing: number, fx: AlignerEffects): AlignerState {
  fx.snapshot(s.id, unseen(seen), true);
  fx.unblockAll();
  if (missing === 0) {
    fx.complete(s.id);
    return { kind: 'idle', lastId: s.id };
  }
  return { kind: 'collecting', id: s.id, seen, missing };
}

/** The coordinator aborted checkpoint `id`: stop waiting for its barriers. */
export function onAbort(s: AlignerState, id: number, fx: AlignerEffects): AlignerState {
  if (s.kind === 'idle' || s.id !== id) return s.kind === 'idle' && id > s.lastId ? { kind: 'idle', lastId: id } : s;
  fx.unblockAll();
  fx.abandon(id);
  return { kind: 'idle', lastId: id };
}
