// The window join and coGroup operator on this thread: pairs (join) or whole per-key windows (coGroup) of both
// inputs with equal keys in the same window, for tumbling, sliding and merging (session) windows, stamped with the
// window's maxTimestamp.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventTimeSessionWindows, SlidingEventTimeWindows, StreamEnvironment, TumblingEventTimeWindows, type DataStream, type TimeWindow, type WindowAssigner } from '../../../core/index.js';
import type { WindowOperator } from '../../../core/windows/window-operator.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { instantiate } from '../windows/harness.js';

interface L { k: string; l: number }
interface R { key: string; r: number }

/** The operator runs its fast path (the default event-time trigger's) exactly when asked to. */
function checked<H extends { op: unknown }>(h: H, fast: boolean): H {
  assert.equal((h.op as { fastTrigger: boolean }).fastTrigger, fast);
  return h;
}

function joinHarness(assigner: WindowAssigner<TimeWindow>, fast: boolean) {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<L>([]);
  const b = env.fromCollection<R>([]);
  const w = a.join(b).where((x) => x.k).equalTo((y) => y.key).window(assigner);
  const out: DataStream<string> = (fast ? w : w.withoutFastPaths()).apply((x, y) => `${x.l}-${y.r}`);
  return checked(instantiate<L, string>(env, out), fast);
}

for (const fast of [true, false]) {
  test(`tumbling: every pair of one key in one window, once${fast ? '' : ' (fast paths off)'}`, () => {
    const h = joinHarness(TumblingEventTimeWindows.of(10), fast);
    h.push({ k: 'a', l: 1 }, 1); h.push({ k: 'a', l: 2 }, 9); h.push({ k: 'b', l: 3 }, 5);
    h.push2({ key: 'a', r: 10 }, 3); h.push2({ key: 'a', r: 11 }, 12); h.push2({ key: 'b', r: 12 }, 6); h.push2({ key: 'c', r: 13 }, 6);
    h.watermark(9);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]).sort(), [['1-10', 9], ['2-10', 9], ['3-12', 9]]);
    h.out.take();
    h.push({ k: 'a', l: 4 }, 15);
    h.finish();
    assert.deepEqual(h.out.values(), ['4-11']);
    assert.equal((h.op as unknown as WindowOperator<L, string>).windowCount, 0);
  });
}

for (const fast of [true, false]) {
  test(`sliding: a pair appears once per window holding both${fast ? '' : ' (fast paths off)'}`, () => {
    const h = joinHarness(SlidingEventTimeWindows.of(10, 5), fast);
    h.push({ k: 'a', l: 1 }, 6);
    h.push2({ key: 'a', r: 2 }, 8);   // both in [0, 10) and [5, 15)
    h.push2({ key: 'a', r: 3 }, 11);  // with 6 in [5, 15) only
    h.finish();
    assert.deepEqual(h.out.values().sort(), ['1-2', '1-2', '1-3']);
  });
}

for (const fast of [true, false]) {
  test(`session windows merge across both inputs${fast ? '' : ' (fast paths off)'}`, () => {
    const h = joinHarness(EventTimeSessionWindows.withGap(7), fast);
    h.push({ k: 'a', l: 1 }, 0);
    h.push2({ key: 'a', r: 2 }, 12);  // [12, 19) is apart from [0, 7): separate sessions
    h.push({ k: 'a', l: 3 }, 30);
    h.watermark(5);
    h.push2({ key: 'a', r: 4 }, 6);   // [6, 13) touches both: one session [0, 19)
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]).sort(), [['1-2', 18], ['1-4', 18]]);
  });
}

// Flink's FlatJoinFunction: an object with join(left, right, out), any number of results per pair.
test('a flat join emits what its join(left, right, out) collects for each pair, none included', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<L>([]);
  const b = env.fromCollection<R>([]);
  const out: DataStream<string> = a.join(b).where((x) => x.k).equalTo((y) => y.key).window(TumblingEventTimeWindows.of(10)).apply<string>({
    join(x, y, o) {
      for (let i = 0; i < x.l; i++) o.collect(`${x.l}-${y.r}#${i}`);
    },
  });
  const h = instantiate<L, string>(env, out);
  h.push({ k: 'a', l: 2 }, 1); h.push({ k: 'a', l: 0 }, 2);
  h.push2({ key: 'a', r: 7 }, 3);
  h.finish();
  assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]).sort(), [['2-7#0', 9], ['2-7#1', 9]]);
});

test('join apply refuses what is neither a function nor an object with join', () => {
  const env = new StreamEnvironment(1);
  const w = env.fromCollection<L>([]).join(env.fromCollection<R>([])).where((x) => x.k).equalTo((y) => y.key).window(TumblingEventTimeWindows.of(10));
  assert.throws(() => w.apply({ joinn: () => {} } as never), (e: unknown) => e instanceof JobDefinitionError && /an object with join\(left, right, out\), got object/.test(e.message));
  assert.throws(() => w.apply(null as never), /got null/);
});

// coGroup: the same operator and windows; the function gets each key's window whole, one side possibly empty.

function coGroupHarness(assigner: WindowAssigner<TimeWindow>, fast: boolean, lateness = 0) {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<L>([]);
  const b = env.fromCollection<R>([]);
  const w = a.coGroup(b).where((x) => x.k).equalTo((y) => y.key).window(assigner).allowedLateness(lateness);
  const out: DataStream<string> = (fast ? w : w.withoutFastPaths())
    .apply<string>((xs, ys, o) => o.collect(`${xs.map((x) => x.l).join('+')}|${ys.map((y) => y.r).join('+')}`));
  return checked(instantiate<L, string>(env, out), fast);
}

for (const fast of [true, false]) {
  test(`coGroup, tumbling: once per key and window, with only-left and only-right windows too (outer)${fast ? '' : ' (fast paths off)'}`, () => {
    const h = coGroupHarness(TumblingEventTimeWindows.of(10), fast);
    h.push({ k: 'a', l: 1 }, 1); h.push({ k: 'a', l: 2 }, 9); h.push({ k: 'b', l: 3 }, 5);
    h.push2({ key: 'a', r: 10 }, 3); h.push2({ key: 'c', r: 13 }, 6); h.push2({ key: 'a', r: 11 }, 12);
    h.watermark(9);
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]).sort(), [['1+2|10', 9], ['3|', 9], ['|13', 9]]);
    h.out.take();
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]), [['|11', 19]]);
    assert.equal((h.op as unknown as WindowOperator<L, string>).windowCount, 0);
  });
}

for (const fast of [true, false]) {
  test(`coGroup with allowed lateness: a late record fires its window again with everything in it${fast ? '' : ' (fast paths off)'}`, () => {
    const h = coGroupHarness(TumblingEventTimeWindows.of(10), fast, 5);
    h.push({ k: 'a', l: 1 }, 2);
    h.watermark(10);
    assert.deepEqual(h.out.take(), ['1|']);
    h.push2({ key: 'a', r: 7 }, 4);   // late, within the lateness
    assert.deepEqual(h.out.take(), ['1|7']);
    h.watermark(15);                   // end + lateness passed: the window is gone
    h.push({ k: 'a', l: 9 }, 3);
    h.finish();
    assert.deepEqual(h.out.take(), []);
  });
}

for (const fast of [true, false]) {
  test(`coGroup over session windows: sessions merge across both inputs, then fire once${fast ? '' : ' (fast paths off)'}`, () => {
    const h = coGroupHarness(EventTimeSessionWindows.withGap(7), fast);
    h.push({ k: 'a', l: 1 }, 0);
    h.push2({ key: 'a', r: 2 }, 12);
    h.push({ k: 'a', l: 3 }, 30);
    h.watermark(5);
    h.push2({ key: 'a', r: 4 }, 6);   // joins [0, 7) and [12, 19) into [0, 19)
    h.finish();
    assert.deepEqual(h.out.records.map((r) => [r.value, r.ts]).sort(), [['1|2+4', 18], ['3|', 36]]);
  });
}

test('coGroup: a bad definition fails at build time, naming coGroup', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<L>([]);
  const b = env.fromCollection<R>([]);
  const other = new StreamEnvironment(1).fromCollection<R>([]);
  assert.throws(() => a.coGroup(other), (e: unknown) => e instanceof JobDefinitionError && /coGroup after operator 'collection-0': expected a stream of the same job/.test(e.message));
  assert.throws(() => a.coGroup(b).where('k' as never), (e: unknown) => e instanceof JobDefinitionError && /coGroup\(\.\.\.\)\.where after operators 'collection-0' and 'collection-1': expected a key selector/.test(e.message));
  assert.throws(() => a.coGroup(b).where((x) => x.k).equalTo(undefined as never), (e: unknown) => e instanceof JobDefinitionError && /coGroup\(\.\.\.\)\.where\(\.\.\.\)\.equalTo after operators 'collection-0' and 'collection-1': expected a key selector/.test(e.message));
  const w = a.coGroup(b).where((x) => x.k).equalTo((y) => y.key);
  assert.throws(() => w.window({} as never), (e: unknown) => e instanceof JobDefinitionError && /coGroup\(\.\.\.\)\.window after operators 'collection-0' and 'collection-1': expected a window assigner/.test(e.message));
  assert.throws(() => w.window(TumblingEventTimeWindows.of(10)).apply('f' as never), (e: unknown) => e instanceof JobDefinitionError && /coGroup apply after operators 'collection-0' and 'collection-1': expected a function \(lefts, rights, out\)/.test(e.message));
  assert.throws(() => w.window(TumblingEventTimeWindows.of(10)).trigger({} as never), (e: unknown) => e instanceof JobDefinitionError && /coGroup window trigger after operators 'collection-0' and 'collection-1': expected a Trigger/.test(e.message));
  // The join's messages say the same, naming join.
  assert.throws(() => a.join(b).where((x) => x.k).equalTo((y) => y.key).window(TumblingEventTimeWindows.of(10)).apply(3 as never), (e: unknown) => e instanceof JobDefinitionError && /^join apply after operators 'collection-0' and 'collection-1': expected a function \(left, right\) => result/.test(e.message));
});

test('a join function that returns a promise fails when the window fires, naming the operator', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<L>([]);
  const b = env.fromCollection<R>([]);
  const out = a.join(b).where((x) => x.k).equalTo((y) => y.key).window(TumblingEventTimeWindows.of(10))
    .apply((async (x: L, y: R) => `${x.l}-${y.r}`) as unknown as (x: L, y: R) => string).name('pairs');
  const h = instantiate<L, string>(env, out);
  h.push({ k: 'a', l: 1 }, 1);
  h.push2({ key: 'a', r: 2 }, 2);
  assert.throws(() => h.watermark(20), /operator 'pairs' \(subtask 0\) failed: its join function returned a promise, but it runs synchronously/);
  assert.deepEqual(h.out.values(), []);
});

test('tuple keys: a window join and coGroup pair records by their tuples (equal part by part), a coGroup\'s windows per tuple', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<L>([]);
  const b = env.fromCollection<R>([]);
  const parts = (s: string): [string, string, number] => { const [p, q, n] = s.split('/'); return [p!, q!, Number(n)]; };
  const joined: DataStream<string> = a.join(b).where((x) => parts(x.k)).equalTo((y) => parts(y.key)).window(TumblingEventTimeWindows.of(10)).apply((x, y) => `${x.l}-${y.r}`);
  const h = instantiate<L, string>(env, joined);
  // ['a|b', 'c', 1] and ['a', 'b|c', 1] would be one key joined with '|'.
  h.push({ k: 'a|b/c/1', l: 1 }, 1); h.push({ k: 'a/b|c/1', l: 2 }, 1); h.push({ k: 'a/b|c/2', l: 3 }, 2);
  h.push2({ key: 'a/b|c/1', r: 11 }, 3); h.push2({ key: 'a|b/c/1', r: 12 }, 3); h.push2({ key: 'a/b|c/2', r: 13 }, 3);
  h.finish();
  assert.deepEqual(h.out.values().sort(), ['1-12', '2-11', '3-13']);
  const env2 = new StreamEnvironment(1);
  const grouped: DataStream<string> = env2.fromCollection<L>([]).coGroup(env2.fromCollection<R>([])).where((x) => [x.k, x.l % 2]).equalTo((y) => [y.key, y.r % 2])
    .window(TumblingEventTimeWindows.of(10)).apply((ls, rs, out) => out.collect(`${ls.map((x) => x.l).join(',')}:${rs.map((y) => y.r).join(',')}`));
  const g = instantiate<L, string>(env2, grouped);
  g.push({ k: 'a', l: 1 }, 1); g.push({ k: 'a', l: 3 }, 2); g.push({ k: 'a', l: 2 }, 2);
  g.push2({ key: 'a', r: 5 }, 3); g.push2({ key: 'b', r: 1 }, 3);
  g.finish();
  assert.deepEqual(g.out.values().sort(), ['1,3:5', '2:', ':1']);
});

// Many keys, about one record a side per window: a side's list is made holding its first record (fast path).

/** A join whose windows take late records (lateness 5), so a fired window's lists grow. */
function latenessJoin(fast: boolean, checkpointing = false) {
  const env = new StreamEnvironment(1);
  const w = env.fromCollection<L>([]).join(env.fromCollection<R>([])).where((x) => x.k).equalTo((y) => y.key)
    .window(TumblingEventTimeWindows.of(10)).allowedLateness(5);
  const out: DataStream<string> = (fast ? w : w.withoutFastPaths()).apply((x, y) => `${x.l}-${y.r}`);
  return checked(instantiate<L, string>(env, out, { checkpointing, fastPaths: fast }), fast);
}

/** Records of 7 keys, a key's window holding none, one or a few of a side; every third record late by 12 ms. */
function feedJoin(h: ReturnType<typeof latenessJoin>, n: number): void {
  for (let i = 0; i < n; i++) {
    const k = `k${(i >> 1) % 7}`;
    const ts = i % 3 === 2 ? i - 12 : i;
    if (i % 5 < 2) h.push({ k, l: i }, ts); else h.push2({ key: k, r: i }, ts);
    if (i % 10 === 9) h.watermark(i - 8);
  }
}

for (const fast of [true, false]) {
  test(`a window's side that got one record, then more (late ones firing it again), pairs every one${fast ? '' : ' (fast paths off)'}`, () => {
    const h = latenessJoin(fast);
    h.push({ k: 'a', l: 1 }, 1);
    h.push2({ key: 'a', r: 10 }, 2);
    h.watermark(9);
    assert.deepEqual(h.out.take(), ['1-10']);
    h.push2({ key: 'a', r: 11 }, 3);   // late, within the lateness: the right side's second record
    assert.deepEqual(h.out.take().sort(), ['1-10', '1-11']);
    h.push({ k: 'a', l: 2 }, 4);
    assert.deepEqual(h.out.take().sort(), ['1-10', '1-11', '2-10', '2-11']);
    h.push({ k: 'b', l: 3 }, 5);       // a window with a left side only, then its right side's first record
    h.push2({ key: 'b', r: 12 }, 6);
    assert.deepEqual(h.out.take(), ['3-12'], 'fired by each late record: the first, alone on its side, pairs nothing');
    h.finish();
    assert.equal((h.op as unknown as WindowOperator<L, string>).windowCount, 0);
  });
}

test('a window join gives the same results, and checkpoints of the same bytes, with the fast paths on and off', () => {
  const on = latenessJoin(true, true);
  const off = latenessJoin(false, true);
  feedJoin(on, 733);
  feedJoin(off, 733);
  assert.ok((on.op as unknown as WindowOperator<L, string>).windowCount > 10, 'windows open at the checkpoint');
  assert.deepEqual(on.out.values(), off.out.values());
  assert.ok(on.out.values().length > 100, 'pairs joined before it');
  assert.deepEqual(on.op.snapshotState(1, false), off.op.snapshotState(1, false));
  on.finish();
  off.finish();
  assert.deepEqual(on.out.values(), off.out.values());
});

// Why a coGroup's lists are not made anew: its function is handed them, and a later firing shows them grown.
test('coGroup: a list the function kept from a firing is the one a late record grows, the side that was empty too', () => {
  const env = new StreamEnvironment(1);
  const kept: [readonly L[], readonly R[]][] = [];
  const out: DataStream<string> = env.fromCollection<L>([]).coGroup(env.fromCollection<R>([])).where((x) => x.k).equalTo((y) => y.key)
    .window(TumblingEventTimeWindows.of(10)).allowedLateness(5).apply<string>((xs, ys, o) => { kept.push([xs, ys]); o.collect(`${xs.length}|${ys.length}`); });
  const h = instantiate<L, string>(env, out);
  h.push({ k: 'a', l: 1 }, 1);
  h.watermark(9);
  h.push2({ key: 'a', r: 2 }, 2);
  assert.deepEqual(h.out.values(), ['1|0', '1|1']);
  assert.equal(kept[0]![1], kept[1]![1], 'the right list is the same array at both firings');
  assert.deepEqual(kept[0]![1].map((y) => y.r), [2]);
});
