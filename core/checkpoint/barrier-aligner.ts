// Runs on: the worker thread of a subtask with inputs from other tasks (called by its input gate). Barrier
// alignment as a small state machine: every transition is a function from a state and an event to the next
// state, with its effects (block a channel, take the snapshot, finish the checkpoint) sent to `AlignerEffects`.
//
//   idle ──barrier n (aligned)──▶ aligning(n) ──last barrier n──▶ idle        [snapshot, forward n, unblock]
//     │                              │
//     │                              └──alignment timeout──▶ collecting(n)    [snapshot, forward n, unblock]
//     └──barrier n (unaligned)──▶ collecting(n) ──last barrier n──▶ idle      [channel state complete]
//
// Aligned: a channel that delivered barrier n is blocked until every channel has, so no record after barrier n
// is reflected in snapshot n. Unaligned (or after the alignment timeout): the snapshot is taken at the first
// barrier; records that still arrive on channels whose barrier n has not come yet belong before the barrier, so
// the input gate records them as the checkpoint's channel state (restored ahead of the ring on recovery).
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
  /** Take snapshot `id` now and forward barrier `id`; `recording` lists the channels whose data until their barrier is channel state. */
  snapshot(id: number, recording: readonly number[]): void;
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
    if (missing === 0) {
      fx.snapshot(id, []);
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
    fx.snapshot(id, []);
    fx.complete(id);
    return { kind: 'idle', lastId: id };
  }
  if (unaligned) {
    fx.snapshot(id, unseen(seen));
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
    fx.snapshot(s.id, []);
    fx.unblockAll();
  }
  fx.complete(s.id);
  return { kind: 'idle', lastId: s.id };
}

/** Alignment has taken `timeoutMs` or more: take the snapshot now and record the rest as channel state (not for a savepoint). */
export function onAlignmentTimeout(s: AlignerState, now: number, timeoutMs: number, fx: AlignerEffects): AlignerState {
  if (s.kind !== 'aligning' || s.savepoint || now - s.startedAt < timeoutMs) return s;
  fx.snapshot(s.id, unseen(s.seen));
  fx.unblockAll();
  return { kind: 'collecting', id: s.id, seen: s.seen, missing: s.missing };
}

/** The coordinator aborted checkpoint `id`: stop waiting for its barriers. */
export function onAbort(s: AlignerState, id: number, fx: AlignerEffects): AlignerState {
  if (s.kind === 'idle' || s.id !== id) return s.kind === 'idle' && id > s.lastId ? { kind: 'idle', lastId: id } : s;
  fx.unblockAll();
  fx.abandon(id);
  return { kind: 'idle', lastId: id };
}
