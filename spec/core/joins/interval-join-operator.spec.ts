// The interval join operator on this thread: pairs in the interval (bounds inclusive or exclusive), the
// result's timestamp, late records, and state cleaned up once the watermark passes what can still match.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JobDefinitionError, OutputTag, StreamEnvironment, type DataStream } from '../../../core/index.js';
import { IntervalJoinOperator } from '../../../core/joins/interval-join-operator.js';
import { instantiate } from '../windows/harness.js';

interface E { k: string; id: number }

/** `fast`: keyed state's fast paths (the run option stateFastPaths), which the join's own follow. */
function intervalHarness(lo: number, hi: number, opts: { lowerExclusive?: boolean; upperExclusive?: boolean; late?: boolean; fast?: boolean; checkpointing?: boolean } = {}) {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<E>([]).keyBy((e) => e.k);
  const b = env.fromCollection<E>([]).keyBy((e) => e.k);
  let j = a.intervalJoin(b).between(lo, hi);
  if (opts.lowerExclusive) j = j.lowerBoundExclusive();
  if (opts.upperExclusive) j = j.upperBoundExclusive();
  if (opts.late) j = j.sideOutputLeftLateData(new OutputTag<E>('left-late')).sideOutputRightLateData(new OutputTag<E>('right-late'));
  const out: DataStream<[number, number, number, number, number]> = j.process((l, r, ctx, o) => o.collect([l.id, r.id, ctx.leftTimestamp, ctx.rightTimestamp, ctx.timestamp]));
  const h = instantiate<E, [number, number, number, number, number]>(env, out, { sideTags: opts.late ? ['left-late', 'right-late'] : [], stateFastPaths: opts.fast ?? true, checkpointing: opts.checkpointing ?? false });
  return { ...h, join: h.op as unknown as IntervalJoinOperator<E, E, unknown> };
}

const off = (fast: boolean): string => (fast ? '' : ' (stateFastPaths off)');

for (const fast of [true, false]) test(`pairs with right.ts - left.ts in [lower, upper], emitted once, stamped with the later time${off(fast)}`, () => {
  const h = intervalHarness(-2, 3, { fast });
  h.push({ k: 'a', id: 1 }, 10);
  h.push2({ k: 'a', id: 100 }, 7);  // 7 - 10 = -3: out
  h.push2({ k: 'a', id: 101 }, 8);  // -2: in
  h.push2({ k: 'a', id: 102 }, 13); // 3: in
  h.push2({ k: 'a', id: 103 }, 14); // 4: out
  h.push2({ k: 'b', id: 104 }, 10); // other key
  h.push({ k: 'a', id: 2 }, 11);    // matches 101 (-3: no), 102 (2), 103 (3)
  assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [
    [[1, 101, 10, 8, 10], 10], [[1, 102, 10, 13, 13], 13], [[2, 102, 11, 13, 13], 13], [[2, 103, 11, 14, 14], 14],
  ]);
});

test('exclusive bounds and rejected bounds', () => {
  const h = intervalHarness(-2, 3, { lowerExclusive: true, upperExclusive: true });
  h.push({ k: 'a', id: 1 }, 10);
  for (const [id, ts] of [[1, 8], [2, 9], [3, 12], [4, 13]] as const) h.push2({ k: 'a', id }, ts);
  assert.deepEqual(h.out.values().map((v) => v[1]), [2, 3]);
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<E>([]).keyBy((e) => e.k);
  assert.throws(() => a.intervalJoin(a).between(5, 1), JobDefinitionError);
  assert.throws(() => a.intervalJoin(a).between(1, 1).lowerBoundExclusive().process(() => {}), JobDefinitionError);
  // Messages name the two operators joined.
  assert.throws(() => a.intervalJoin(a).between(0.5, 1), /^JobDefinitionError: intervalJoin\.between after operators 'collection-0' and 'collection-0': bounds must be integer ms/);
  assert.throws(() => a.intervalJoin(a).between(0, 1).process(5 as never), /^JobDefinitionError: intervalJoin process after operators 'collection-0' and 'collection-0': expected a function/);
});

for (const fast of [true, false]) test(`late records go to the late outputs, or are dropped and counted${off(fast)}`, () => {
  const h = intervalHarness(0, 5, { late: true, fast });
  h.watermark(100);
  h.push({ k: 'a', id: 1 }, 99);
  h.push2({ k: 'a', id: 2 }, 50);
  h.push({ k: 'a', id: 3 }, 100);
  assert.deepEqual(h.side.get('left-late')!.values(), [{ k: 'a', id: 1 }]);
  assert.deepEqual(h.side.get('right-late')!.values(), [{ k: 'a', id: 2 }]);
  const d = intervalHarness(0, 5, { fast });
  d.watermark(100);
  d.push({ k: 'a', id: 1 }, 99);
  d.push2({ k: 'a', id: 2 }, 99);
  assert.equal(d.op.lateRecordsDropped, 2);
});

// Times in halves of a ms too: exclusive bounds were moved by 1 ms, which loses pairs between.
for (const fast of [true, false]) test(`property: any arrival order with watermarks that never make a record late gives every pair once, and state empties; bounds inclusive or exclusive, times fractional${off(fast)}`, () => {
  fc.assert(fc.property(
    fc.array(fc.record({ side: fc.integer({ min: 0, max: 1 }), k: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 120 }).map((t) => t / 2) }), { maxLength: 60 }),
    fc.integer({ min: -10, max: 10 }), fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 8 }), fc.boolean(), fc.boolean(),
    (recs, lo, width, lag, lowerExclusive, upperExclusive) => {
      const hi = lo + width;
      fc.pre(width > 0 || (!lowerExclusive && !upperExclusive));
      const h = intervalHarness(lo, hi, { lowerExclusive, upperExclusive, fast });
      let maxTs = -Infinity;
      const sorted = recs.map((r, id) => ({ ...r, id }));
      for (const r of sorted) {
        // Watermarks trail the latest time by more than any record is behind it (records are late-free).
        if (r.side === 0) h.push({ k: r.k, id: r.id }, r.ts); else h.push2({ k: r.k, id: r.id }, r.ts);
        maxTs = Math.max(maxTs, r.ts);
        const wm = Math.min(...sorted.slice(sorted.indexOf(r) + 1).map((x) => x.ts), maxTs - lag);
        if (wm > h.ctx.watermark) h.watermark(wm);
      }
      h.watermark(Number.MAX_SAFE_INTEGER);
      const want: string[] = [];
      for (const l of sorted) for (const r of sorted) {
        if (l.side === 0 && r.side === 1 && l.k === r.k && (lowerExclusive ? r.ts - l.ts > lo : r.ts - l.ts >= lo) && (upperExclusive ? r.ts - l.ts < hi : r.ts - l.ts <= hi)) want.push(`${l.id}-${r.id}`);
      }
      assert.deepEqual(h.out.values().map((v) => `${v[0]}-${v[1]}`).sort(), want.sort());
      assert.equal(h.join.buffered, 0, 'every buffered record is cleaned up by the final watermark');
      assert.equal(h.join.backend.entryCount, 0);
      assert.equal(h.op.lateRecordsDropped, 0);
    },
  ), { numRuns: 500 });
});

for (const fast of [true, false]) test(`a record is kept exactly until the watermark passes the last time it can match${off(fast)}`, () => {
  const h = intervalHarness(-5, 10, { fast });
  h.push({ k: 'a', id: 1 }, 100);   // can match right records up to 110
  h.push2({ k: 'a', id: 2 }, 100);  // can match left records up to 105
  h.watermark(105);
  assert.equal(h.join.buffered, 2);
  h.watermark(106);
  assert.equal(h.join.buffered, 1, 'the right record is gone after 105');
  h.watermark(110);
  assert.equal(h.join.buffered, 1);
  h.push2({ k: 'a', id: 3 }, 110);
  assert.deepEqual(h.out.values().map((v) => v[1]), [2, 3], 'a right record at 110 still matches');
  h.watermark(111);
  assert.equal(h.join.buffered, 1, 'left gone; the right record at 110 stays until 115');
  h.watermark(116);
  assert.equal(h.join.buffered, 0);
  assert.equal(h.join.timers.size, 0);
});

// A cleanup drops a few records off a buffer's front one at a time (fast path), many at once by one splice.
for (const fast of [true, false]) test(`a cleanup drops from a key's buffer the records it can no longer match, a few or many at once${off(fast)}`, () => {
  const h = intervalHarness(0, 0, { fast });
  for (let id = 0; id < 10; id++) h.push({ k: 'a', id }, 5);  // ten records sharing one time (one timer)
  for (let id = 10; id < 13; id++) h.push({ k: 'a', id }, 7);
  h.push({ k: 'a', id: 13 }, 9);
  h.push({ k: 'a', id: 14 }, 6);    // out of order: goes between
  h.push2({ k: 'a', id: 100 }, 9);
  assert.deepEqual(h.out.values().map((v) => `${v[0]}-${v[1]}`), ['13-100']);
  assert.equal(h.join.buffered, 16);
  h.watermark(6);                   // drops the ten at 5 at once
  assert.equal(h.join.buffered, 6);
  h.watermark(8);                   // drops 14 (at 6) and the three at 7
  assert.equal(h.join.buffered, 2);
  h.push2({ k: 'a', id: 101 }, 9);
  h.push2({ k: 'a', id: 102 }, 8);  // its partners are gone: no pair
  assert.deepEqual(h.out.values().map((v) => `${v[0]}-${v[1]}`), ['13-100', '13-101']);
  h.watermark(Number.MAX_SAFE_INTEGER);
  assert.equal(h.join.buffered, 0);
  assert.equal(h.join.timers.size, 0);
});

test('a join function that returns a promise fails at its first pair, naming the operator', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<E>([]).keyBy((e) => e.k);
  const b = env.fromCollection<E>([]).keyBy((e) => e.k);
  const out = a.intervalJoin(b).between(-1, 1).process((async (l: E, r: E, _ctx: unknown, o: { collect(v: number): void }) => { o.collect(l.id + r.id); }) as never).name('pairs');
  const h = instantiate<E, number>(env, out as unknown as DataStream<number>);
  h.push({ k: 'a', id: 1 }, 10);
  assert.throws(() => h.push2({ k: 'a', id: 2 }, 10), /operator 'pairs' \(subtask 0\) failed: its join function returned a promise, but it runs synchronously .*asyncMap/);
});

test('tuple keys: records join when their tuples are equal part by part, and only then', () => {
  interface T { a: string; b: string; n: number; id: number }
  const env = new StreamEnvironment(1);
  const left = env.fromCollection<T>([]).keyBy((e) => [e.a, e.b, e.n]);
  // The right side builds the same tuple from other fields.
  const right = env.fromCollection<{ parts: string; n: number; id: number }>([]).keyBy((e) => { const [a, b] = e.parts.split('/'); return [a!, b!, e.n]; });
  const out: DataStream<[number, number]> = left.intervalJoin(right).between(0, 0).process((l, r, _ctx, o) => o.collect([l.id, r.id]));
  const h = instantiate<T, [number, number]>(env, out);
  h.push({ a: 'x|y', b: 'z', n: 1, id: 1 }, 5);
  h.push({ a: 'x', b: 'y|z', n: 1, id: 2 }, 5); // '|'-joined, the same as id 1's
  h.push({ a: 'x', b: 'y|z', n: 2, id: 3 }, 5);
  h.push2({ parts: 'x/y|z', n: 1, id: 10 }, 5);
  h.push2({ parts: 'x|y/z', n: 1, id: 11 }, 5);
  h.push2({ parts: 'x/y|z', n: 2, id: 12 }, 5);
  assert.deepEqual(h.out.values().sort(), [[1, 11], [2, 10], [3, 12]]);
});

test('ctx.key is the pair\'s key, as other keyed contexts give it: a tuple key comes back as a frozen tuple, a string as itself', () => {
  interface T { a: string; n: number; id: number }
  const env = new StreamEnvironment(1);
  const left = env.fromCollection<T>([]).keyBy((e): [string, number] => [e.a, e.n]);
  const right = env.fromCollection<T>([]).keyBy((e): [string, number] => [e.a, e.n]);
  const out: DataStream<[number, number, readonly [string, number]]> = left.intervalJoin(right).between(0, 0)
    .process((l, r, ctx, o) => o.collect([l.id, r.id, ctx.key]));
  const h = instantiate<T, [number, number, readonly [string, number]]>(env, out);
  h.push({ a: 'x', n: 1, id: 1 }, 5);
  h.push2({ a: 'x', n: 1, id: 10 }, 5);
  h.push({ a: 'y', n: 2, id: 2 }, 5);
  h.push2({ a: 'y', n: 2, id: 11 }, 5);
  assert.deepEqual(h.out.values(), [[1, 10, ['x', 1]], [2, 11, ['y', 2]]]);
  assert.ok(Object.isFrozen(h.out.values()[0]![2]));
  // A string key whose first char is the tuple mark is escaped in state: ctx.key is the string as the selector gave it.
  const marked = '\uFDD0Tk';
  const env2 = new StreamEnvironment(1);
  const a = env2.fromCollection<E>([]).keyBy((e) => e.k);
  const b = env2.fromCollection<E>([]).keyBy((e) => e.k);
  const keys: DataStream<string> = a.intervalJoin(b).between(0, 0).process((_l, _r, ctx, o) => o.collect(ctx.key));
  const h2 = instantiate<E, string>(env2, keys);
  h2.push({ k: marked, id: 1 }, 5);
  h2.push2({ k: marked, id: 2 }, 5);
  assert.deepEqual(h2.out.values(), [marked]);
});

// Many keys, about one record a side each: buffers created and emptied by the entry held (stateFastPaths).

/** Records of 10 keys, two sides, some out of order (never late: the watermark trails by 30 ms). */
function feedInterval(h: ReturnType<typeof intervalHarness>, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const ts = i + ((i * 13) % 7) - 3;
    if (i % 3 === 0) h.push2({ k: `k${(i * 11) % 10}`, id: i }, ts); else h.push({ k: `k${(i * 7) % 10}`, id: i }, ts);
    if (i % 20 === 19) h.watermark(i - 30);
  }
}

test('the interval join follows the run option stateFastPaths', () => {
  for (const fast of [true, false]) assert.equal((intervalHarness(0, 1, { fast }).join as unknown as { fast: boolean }).fast, fast);
});

test('a checkpoint taken with stateFastPaths on or off restores with it either way, and the pairs are those of a run without one', () => {
  const whole = intervalHarness(-20, 10, { checkpointing: true });
  feedInterval(whole, 0, 600);
  whole.watermark(Number.MAX_SAFE_INTEGER);
  const want = whole.out.values().map((v) => `${v[0]}-${v[1]}@${v[4]}`).sort();
  assert.ok(want.length > 200, `pairs made: ${want.length}`);
  for (const [before, after] of [[true, false], [false, true]] as const) {
    const first = intervalHarness(-20, 10, { checkpointing: true, fast: before });
    feedInterval(first, 0, 300);
    assert.ok(first.join.buffered > 20, 'records buffered at the checkpoint');
    const snap = first.op.snapshotState(1, false)!;
    const second = intervalHarness(-20, 10, { checkpointing: true, fast: after });
    second.ctx.watermark = first.ctx.watermark;
    second.op.restoreState({ keyed: snap.keyed!, operator: [] });
    assert.equal(second.join.buffered, first.join.buffered);
    feedInterval(second, 300, 600);
    second.watermark(Number.MAX_SAFE_INTEGER);
    const got = [...first.out.values(), ...second.out.values()].map((v) => `${v[0]}-${v[1]}@${v[4]}`).sort();
    assert.deepEqual(got, want, `on ${before} then ${after}`);
    assert.equal(second.join.buffered, 0);
    assert.equal(second.join.backend.entryCount, 0);
  }
});
