// The hold of an aligned source (core/time/watermark-alignment.ts) over a real alignment buffer, and the
// strategy's checks: which watermarks hold a source back, and which never do.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobDefinitionError, WatermarkStrategy } from '../../../core/index.js';
import { SourceAlignment } from '../../../core/time/watermark-alignment.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../../core/time/watermark.js';
import { ALIGNMENT_SLOT_BYTES, DOORBELL_SEQ } from '../../../shm/layout.js';
import { Doorbell } from '../../../shm/doorbell.js';

/** Three sources of one group in slots 0, 2 and 3 (slot 1: a subtask of another task), all before a watermark. */
function group(): { slots: BigInt64Array; a: SourceAlignment; b: SourceAlignment; c: SourceAlignment } {
  const buffer = new SharedArrayBuffer(4 * ALIGNMENT_SLOT_BYTES);
  const slots = new BigInt64Array(buffer);
  slots.fill(BigInt(MIN_WATERMARK));
  const members = [0, 2, 3];
  return {
    slots,
    a: new SourceAlignment(slots, 0, members, 100, 5),
    b: new SourceAlignment(slots, 2, members, 100, 5),
    c: new SourceAlignment(slots, 3, members, 100, 5),
  };
}

test('a source more than maxDrift ahead of the lowest of its group is held; within it, or the lowest, it is not', () => {
  const { a, b, c } = group();
  a.publish(1000, false);
  b.publish(1100, false);
  c.publish(1101, false);
  assert.equal(a.holds(1000), false, 'the lowest is never held');
  assert.equal(b.holds(1100), false, 'exactly maxDrift ahead');
  assert.equal(c.holds(1101), true, 'one ms past maxDrift');
  assert.equal(a.groupLow(), 1100);
  assert.equal(c.groupLow(), 1000);
});

test('a source without a watermark yet is never held, and holds back those that have one', () => {
  const { a, b } = group();
  assert.equal(a.holds(MIN_WATERMARK), false);
  b.publish(5000, false);
  assert.equal(b.holds(5000), true, 'a and c have no watermark yet');
});

test('idle and ended sources hold no one back; an idle one that reads again does', () => {
  const { a, b, c } = group();
  a.publish(0, false);
  b.publish(5000, false);
  c.publish(5000, false);
  assert.equal(b.holds(5000), true);
  a.publish(0, true);
  assert.equal(b.holds(5000), false, 'a is idle');
  a.publish(0, false);
  assert.equal(b.holds(5000), true, 'a is active again');
  a.publish(MAX_WATERMARK, true);
  assert.equal(b.holds(5000), false, 'a has ended');
  c.publish(MAX_WATERMARK, true);
  assert.equal(b.holds(MAX_WATERMARK - 1), false, 'no one left to hold it back');
});

test('the slot holds the whole 64-bit watermark (epoch ms beyond 2^32)', () => {
  const { slots, a, b, c } = group();
  const t = Date.UTC(2026, 11, 4);
  a.publish(t, false);
  c.publish(t + 1, false);
  assert.equal(Number(slots[0]), t);
  assert.equal(b.groupLow(), t);
});

test('withWatermarkAlignment checks its arguments and is part of the fingerprint', () => {
  const s = WatermarkStrategy.forMonotonousTimestamps<number>();
  assert.throws(() => s.withWatermarkAlignment('', 10), JobDefinitionError);
  assert.throws(() => s.withWatermarkAlignment('g', -1), /maxDriftMs must be a number of ms >= 0/);
  assert.throws(() => s.withWatermarkAlignment('g', 10, 0), /updateIntervalMs must be a number of ms > 0/);
  const aligned = s.withWatermarkAlignment('g', 10);
  assert.notEqual(aligned.fingerprint, s.fingerprint);
  assert.notEqual(aligned.fingerprint, s.withWatermarkAlignment('h', 10).fingerprint);
  // The alignment survives the builder calls after it.
  assert.equal(aligned.withTimestampAssigner((x) => x).withIdleness(5).alignment?.group, 'g');
});

test('a publish that moves the watermark rings the other threads of the group; one that does not, does not', () => {
  const slots = new BigInt64Array(new SharedArrayBuffer(2 * ALIGNMENT_SLOT_BYTES));
  const bell = Doorbell.create();
  const slow = new SourceAlignment(slots, 0, [0, 1], 100, 5, [bell]);
  // The held side's protocol: arm, look, park. A ring after arm() moves the sequence, so park(seq) returns.
  const seq = bell.arm();
  slow.publish(10, false);
  assert.notEqual(Atomics.load(bell.i32, DOORBELL_SEQ), seq, 'rung');
  const seq2 = bell.arm();
  slow.publish(10, false);
  assert.equal(Atomics.load(bell.i32, DOORBELL_SEQ), seq2, 'the same watermark again: not rung');
  slow.publish(10, true);
  assert.notEqual(Atomics.load(bell.i32, DOORBELL_SEQ), seq2, 'idle now: rung (it may release a held source)');
});

test('a strategy without watermarks cannot be aligned: it would hold its group until its source ended', () => {
  assert.throws(() => WatermarkStrategy.noWatermarks<number>().withWatermarkAlignment('g', 10), /a strategy without watermarks \(noWatermarks\) would hold back every source of its group/);
});
