// The barrier aligner state machine: aligned (block, snapshot once after the last barrier), unaligned (snapshot at
// the first, record channel state until each channel's barrier), the alignment timeout and an unaligned barrier
// during an alignment (both switch it, the barrier sent on unaligned), a newer barrier overtaking, ended channels,
// aborts; and a property over random interleavings with a model of the input gate.
// The effects log shows a snapshot whose barrier goes on unaligned as 'snapshot <id> [<recorded>] unaligned'.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  initialAligner, onAbort, onAlignmentTimeout, onBarrier, onEnd, type AlignerEffects, type AlignerState,
} from '../../../core/checkpoint/barrier-aligner.js';

/** Records every effect, and keeps the set of blocked channels as the input gate does. */
class Effects implements AlignerEffects {
  log: string[] = [];
  blocked = new Set<number>();
  block(c: number): void { this.blocked.add(c); this.log.push(`block ${c}`); }
  unblockAll(): void { this.blocked.clear(); this.log.push('unblock'); }
  snapshot(id: number, recording: readonly number[], unaligned: boolean): void { this.log.push(`snapshot ${id} [${recording.join(',')}]${unaligned ? ' unaligned' : ''}`); }
  complete(id: number): void { this.log.push(`complete ${id}`); }
  abandon(id: number): void { this.log.push(`abandon ${id}`); }
  take(): string[] { const l = this.log; this.log = []; return l; }
}

function machine(channels: number) {
  const fx = new Effects();
  const ended = Array<boolean>(channels).fill(false);
  let s: AlignerState = initialAligner;
  let now = 0;
  return {
    fx,
    get state() { return s; },
    set now(t: number) { now = t; },
    barrier: (c: number, id: number, unaligned = false) => { s = onBarrier(s, c, id, unaligned, ended, now, fx); return fx.take(); },
    end: (c: number) => { ended[c] = true; s = onEnd(s, c, fx); return fx.take(); },
    timeout: (ms: number) => { s = onAlignmentTimeout(s, now, ms, fx); return fx.take(); },
    abort: (id: number) => { s = onAbort(s, id, fx); return fx.take(); },
  };
}

describe('barrier aligner', () => {
  test('aligned: each channel that delivered the barrier is blocked; the snapshot comes once, after the last', () => {
    const m = machine(3);
    assert.deepEqual(m.barrier(1, 1), ['block 1']);
    assert.deepEqual(m.barrier(1, 1), [], 'a repeated barrier changes nothing');
    assert.deepEqual(m.barrier(0, 1), ['block 0']);
    assert.deepEqual(m.barrier(2, 1), ['snapshot 1 []', 'unblock', 'complete 1']);
    assert.deepEqual(m.state, { kind: 'idle', lastId: 1 });
    assert.deepEqual(m.barrier(0, 1), [], 'a barrier of a finished checkpoint is ignored');
  });

  test('one input channel: snapshot and complete at its barrier', () => {
    const m = machine(1);
    assert.deepEqual(m.barrier(0, 4), ['snapshot 4 []', 'complete 4']);
  });

  test('unaligned: the snapshot is taken at the first barrier and the other channels are recorded until theirs', () => {
    const m = machine(3);
    assert.deepEqual(m.barrier(2, 1, true), ['snapshot 1 [0,1] unaligned']);
    assert.equal(m.fx.blocked.size, 0, 'nothing is blocked');
    assert.deepEqual(m.barrier(0, 1, true), []);
    assert.equal(m.state.kind, 'collecting');
    assert.deepEqual(m.barrier(1, 1, true), ['complete 1']);
    assert.deepEqual(m.state, { kind: 'idle', lastId: 1 });
  });

  // Regression (checkpoint review): the timed-out alignment sent its barrier on aligned, to wait behind the full
  // output rings that had made the alignment slow; the checkpoint then timed out downstream instead.
  test('alignment timeout: after timeoutMs the aligned checkpoint goes on unaligned, recording the channels still missing, its barrier sent on unaligned', () => {
    const m = machine(3);
    m.now = 1000;
    m.barrier(0, 1);
    m.now = 1049;
    assert.deepEqual(m.timeout(50), [], 'not yet');
    m.now = 1050;
    assert.deepEqual(m.timeout(50), ['snapshot 1 [1,2] unaligned', 'unblock']);
    assert.equal(m.state.kind, 'collecting');
    assert.deepEqual(m.timeout(50), [], 'only once');
    assert.deepEqual(m.barrier(2, 1), []);
    assert.deepEqual(m.barrier(1, 1), ['complete 1']);
  });

  test('an unaligned barrier during an alignment (an upstream switched) switches it: snapshot, barrier sent on unaligned, the missing channels recorded', () => {
    const m = machine(3);
    assert.deepEqual(m.barrier(0, 1), ['block 0']);
    assert.deepEqual(m.barrier(2, 1, true), ['snapshot 1 [1] unaligned', 'unblock']);
    assert.equal(m.state.kind, 'collecting');
    assert.equal(m.fx.blocked.size, 0, 'channel 0 is read on');
    assert.deepEqual(m.barrier(1, 1), ['complete 1'], 'the last barrier, aligned, completes it');
    // The last missing barrier, unaligned: snapshot and complete at once, sent on unaligned.
    const last = machine(2);
    last.barrier(1, 1);
    assert.deepEqual(last.barrier(0, 1, true), ['snapshot 1 [] unaligned', 'unblock', 'complete 1']);
  });

  test('a savepoint is never switched: its alignment ignores the timeout', () => {
    const fx = new Effects();
    let s = onBarrier(initialAligner, 0, 1, false, [false, false], 0, fx, true);
    s = onAlignmentTimeout(s, 1000, 50, fx);
    assert.equal(s.kind, 'aligning');
    s = onBarrier(s, 1, 1, false, [false, false], 1000, fx, true);
    assert.deepEqual(fx.take(), ['block 0', 'snapshot 1 []', 'unblock', 'complete 1']);
  });

  test('a newer barrier overtaking an alignment abandons the older checkpoint and starts the new one', () => {
    const m = machine(2);
    m.barrier(0, 1);
    assert.deepEqual(m.barrier(1, 2), ['unblock', 'abandon 1', 'block 1']);
    assert.deepEqual(m.barrier(1, 1), [], 'the late barrier of the abandoned checkpoint is ignored');
    assert.deepEqual(m.barrier(0, 2), ['snapshot 2 []', 'unblock', 'complete 2']);
  });

  test('a newer barrier while collecting abandons the older checkpoint too', () => {
    const m = machine(2);
    m.barrier(0, 1, true);
    assert.deepEqual(m.barrier(0, 2, true), ['unblock', 'abandon 1', 'snapshot 2 [1] unaligned']);
  });

  test('ended channels count as having delivered every barrier', () => {
    const m = machine(3);
    assert.deepEqual(m.end(2), [], 'an end while idle changes nothing');
    assert.deepEqual(m.barrier(0, 1), ['block 0']);
    assert.deepEqual(m.end(1), ['snapshot 1 []', 'unblock', 'complete 1'], 'the last missing channel ended');
    assert.deepEqual(m.barrier(0, 2), ['snapshot 2 []', 'complete 2'], 'the only open channel');
    const u = machine(2);
    u.barrier(0, 1, true);
    assert.deepEqual(u.end(1), ['complete 1']);
  });

  test('abort: the coordinator gave the checkpoint up; its barriers are ignored from then on', () => {
    const m = machine(2);
    m.barrier(0, 1);
    assert.deepEqual(m.abort(1), ['unblock', 'abandon 1']);
    assert.deepEqual(m.barrier(1, 1), []);
    assert.deepEqual(m.abort(3), [], 'an abort of a checkpoint not started here');
    assert.deepEqual(m.barrier(0, 3), [], 'whose barriers then arrive: ignored');
    assert.deepEqual(m.barrier(0, 4), ['block 0']);
    assert.deepEqual(m.abort(2), [], 'an older one: nothing');
    assert.equal(m.state.kind, 'aligning');
  });

  test('property: over random interleavings of barriers and ends, each checkpoint is snapshotted and completed at most once, nothing deadlocks, aligned mode never reads past a barrier before its snapshot, and a barrier is sent on unaligned exactly when the checkpoint went unaligned', () => {
    type Item = { k: 'rec' } | { k: 'barrier'; id: number } | { k: 'end' };
    const channelArb = (ids: number): fc.Arbitrary<Item[]> => fc.tuple(
      fc.subarray(Array.from({ length: ids }, (_, i) => i + 1)),
      fc.array(fc.nat(3), { minLength: ids + 1, maxLength: ids + 1 }),
      fc.boolean(),
    ).map(([barriers, recs, endEarly]) => {
      const items: Item[] = [];
      const take = endEarly ? barriers.slice(0, Math.ceil(barriers.length / 2)) : barriers;
      take.forEach((id, i) => { for (let r = 0; r < recs[i]!; r++) items.push({ k: 'rec' }); items.push({ k: 'barrier', id }); });
      for (let r = 0; r < recs[ids]!; r++) items.push({ k: 'rec' });
      items.push({ k: 'end' });
      return items;
    });
    const arb = fc.record({
      n: fc.integer({ min: 1, max: 4 }),
      ids: fc.integer({ min: 1, max: 5 }),
      seed: fc.array(fc.nat(), { minLength: 200, maxLength: 200 }),
      unalignedIds: fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }),
      timeoutAt: fc.option(fc.nat(40)),
      // Barriers an upstream sent on unaligned (its alignment timed out), by channel and id: aligned checkpoints only.
      switched: fc.array(fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), { minLength: 4, maxLength: 4 }),
      abortAt: fc.option(fc.tuple(fc.nat(40), fc.integer({ min: 1, max: 5 }))),
    }).chain((p) => fc.tuple(fc.constant(p), fc.array(channelArb(p.ids), { minLength: p.n, maxLength: p.n })));

    fc.assert(fc.property(arb, ([p, queues]) => {
      const ended = Array<boolean>(p.n).fill(false);
      /** The newest barrier each channel has delivered. */
      const delivered = Array<number>(p.n).fill(0);
      const started = new Set<number>();
      const snapshots = new Map<number, number>();
      const completes = new Map<number, number>();
      const abandoned = new Set<number>();
      const blocked = new Set<number>();
      /** Checkpoints that went unaligned here: a barrier came unaligned, or the alignment timed out. */
      const wentUnaligned = new Set<number>();
      const fx: AlignerEffects = {
        block(c) { blocked.add(c); },
        unblockAll() { blocked.clear(); },
        snapshot(id, rec, unaligned) {
          snapshots.set(id, (snapshots.get(id) ?? 0) + 1);
          assert.equal(unaligned, wentUnaligned.has(id), `checkpoint ${id}'s barrier is sent on ${unaligned ? 'unaligned' : 'aligned'}`);
          assert.ok(!abandoned.has(id) && !completes.has(id), `snapshot ${id} after it ended`);
          // The channel state to record: exactly the open channels that have not delivered this barrier.
          const missing = [...Array(p.n).keys()].filter((c) => !ended[c] && delivered[c]! < id);
          assert.deepEqual([...rec], missing);
        },
        complete(id) {
          completes.set(id, (completes.get(id) ?? 0) + 1);
          assert.equal(snapshots.get(id), 1, `checkpoint ${id} completes after exactly one snapshot`);
        },
        abandon(id) {
          assert.ok(started.has(id) && !completes.has(id), `abandon ${id}: never started here, or completed`);
          abandoned.add(id);
        },
      };
      let s: AlignerState = initialAligner;
      const pos = Array<number>(p.n).fill(0);
      for (let step = 0; ; step++) {
        if (p.timeoutAt !== null && step === p.timeoutAt) {
          if (s.kind === 'aligning') wentUnaligned.add(s.id);
          s = onAlignmentTimeout(s, 100, 50, fx);
        }
        if (p.abortAt !== null && step === p.abortAt[0]) s = onAbort(s, p.abortAt[1], fx);
        // The gate reads any channel that is neither ended nor blocked.
        const readable = [...Array(p.n).keys()].filter((c) => !ended[c] && !blocked.has(c));
        if (readable.length === 0) {
          assert.ok(ended.every(Boolean), `deadlock: channels ${[...blocked]} blocked, state ${JSON.stringify(s)}`);
          break;
        }
        const c = readable[p.seed[step % p.seed.length]! % readable.length]!;
        // Aligned mode: no channel that delivered the barrier being aligned is read before its snapshot.
        if (s.kind === 'aligning') assert.ok(delivered[c]! < s.id, `channel ${c} read after barrier ${s.id} before its snapshot`);
        const item = queues[c]![pos[c]!++]!;
        if (item.k === 'barrier') {
          delivered[c] = Math.max(delivered[c]!, item.id);
          const unaligned = p.unalignedIds[item.id]! || p.switched[c]![item.id]!;
          if (unaligned && !(s.kind !== 'idle' && item.id < s.id) && !(s.kind === 'idle' && item.id <= s.lastId)) wentUnaligned.add(item.id);
          s = onBarrier(s, c, item.id, unaligned, ended, 0, fx);
          if (s.kind !== 'idle') started.add(s.id);
          else if (snapshots.has(s.lastId)) started.add(s.lastId);
        } else if (item.k === 'end') {
          ended[c] = true;
          s = onEnd(s, c, fx);
        }
      }
      for (const [id, k] of snapshots) assert.equal(k, 1, `checkpoint ${id} snapshotted ${k} times`);
      for (const [id, k] of completes) assert.equal(k, 1, `checkpoint ${id} completed ${k} times`);
      for (const id of started) assert.ok(completes.has(id) || abandoned.has(id), `checkpoint ${id} neither completed nor abandoned`);
      assert.equal(s.kind, 'idle', 'every checkpoint started was completed or abandoned once all channels ended');
      assert.equal(blocked.size, 0);
    }), { numRuns: 2000 });
  });
});
