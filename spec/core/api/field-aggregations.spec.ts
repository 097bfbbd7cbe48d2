// Field aggregations (sum, min, max, minBy, maxBy) of keyed, windowed and all-windowed streams: Flink's meaning,
// ties to the earlier record, a record without a number in the field refused under the error policy.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment, TumblingEventTimeWindows, type DataStream, type KeyedStream } from '../../../core/index.js';
import { fieldReducer } from '../../../core/api/field-aggregations.js';
import { harness, instantiate } from '../windows/harness.js';

interface R { k: string; v: number; tag: string }
const rs: R[] = [{ k: 'a', v: 5, tag: 'first' }, { k: 'a', v: 2, tag: 'second' }, { k: 'a', v: 9, tag: 'third' }, { k: 'a', v: 2, tag: 'fourth' }];

test('keyed rolling field aggregations: one update per record, other fields as Flink keeps them', () => {
  const cases: [(s: KeyedStream<R, string>) => DataStream<R>, [number, string][]][] = [
    [(s) => s.sum('v'), [[5, 'first'], [7, 'first'], [16, 'first'], [18, 'first']]],
    [(s) => s.min('v'), [[5, 'first'], [2, 'first'], [2, 'first'], [2, 'first']]],
    [(s) => s.max('v'), [[5, 'first'], [5, 'first'], [9, 'first'], [9, 'first']]],
    [(s) => s.minBy('v'), [[5, 'first'], [2, 'second'], [2, 'second'], [2, 'second']]],
    [(s) => s.maxBy('v'), [[5, 'first'], [5, 'first'], [9, 'third'], [9, 'third']]],
  ];
  for (const [define, want] of cases) {
    const h = harness((r: R) => r.k, define);
    for (const r of rs) h.push(r);
    assert.deepEqual(h.out.values().map((r) => [r.v, r.tag]), want, define.toString());
  }
});

test('windowed and all-windowed field aggregations: one result per window', () => {
  const h = harness((r: R) => r.k, (s) => s.window(TumblingEventTimeWindows.of(10)).maxBy('v'));
  rs.forEach((r, i) => h.push(r, i));
  h.watermark(100);
  assert.deepEqual(h.out.values(), [rs[2]]);
  const env = new StreamEnvironment(1);
  const all = instantiate<R, R>(env, env.fromCollection<R>([]).windowAll(TumblingEventTimeWindows.of(10)).sum('v'));
  rs.forEach((r, i) => all.push(r, i));
  all.watermark(100);
  assert.deepEqual(all.out.values(), [{ k: 'a', v: 18, tag: 'first' }]);
});

test('a record without a number in the field is refused, naming the aggregation and the field; a bad field name fails at build time', () => {
  const sum = fieldReducer<Record<string, unknown>>('sum', 'v');
  assert.throws(() => sum({ v: 1 }, { v: '2' }), /sum\('v'\): the record's 'v' is a string, not a number/);
  assert.throws(() => sum({ v: 1 }, {}), /the record's 'v' is missing/);
  assert.throws(() => fieldReducer('max', ''), { name: 'JobDefinitionError' });
  const env = new StreamEnvironment(1);
  const h = instantiate<unknown, unknown>(env, env.fromCollection<{ k: string; v: number }>([]).keyBy((r) => r.k).sum('v').onError('drop') as DataStream<unknown>);
  h.push({ k: 'a', v: 1 });
  h.push({ k: 'a', v: 'x' });
  h.push({ k: 'a', v: 2 });
  assert.deepEqual(h.out.values(), [{ k: 'a', v: 1 }, { k: 'a', v: 3 }]);
  assert.equal(h.op.dropped, 1);
});

// Regression: a key's (or window's) first record is kept without a call of the reducer, so one without
// a number in the field was kept, and every later good record of the key then failed in its place.
test('a first record without a number in the field is refused, and the key goes on with the good ones', () => {
  const env = new StreamEnvironment(1);
  const h = instantiate<unknown, unknown>(env, env.fromCollection<{ k: string; v: number }>([]).keyBy((r) => r.k).sum('v').onError('drop') as DataStream<unknown>);
  for (const v of ['5', 1, 2, 3, 4]) h.push({ k: 'a', v });
  assert.deepEqual(h.out.values().map((r) => (r as { v: number }).v), [1, 3, 6, 10]);
  assert.equal(h.op.dropped, 1);
  // A window fails on the record that is wrong (windows take no error policy), not on the next good one.
  const w = harness((r: { k: string; v: unknown }) => r.k, (s) => s.window(TumblingEventTimeWindows.of(10)).sum('v' as never));
  assert.throws(() => w.push({ k: 'a', v: 'x' }, 0), /sum\('v'\): the record's 'v' is a string, not a number/);
});

// Regression: with < and > alone, a NaN first was never replaced and a NaN later never taken, so the
// result depended on arrival order; Flink orders numbers as Java's Double.compare (-0 before 0, NaN after all).
test('min, max, minBy and maxBy order NaN after every number and -0 before 0, whatever the arrival order', () => {
  const orders = [[NaN, 1, 2], [1, NaN, 2], [1, 2, NaN], [2, NaN, 1]];
  for (const [kind, want] of [['min', 1], ['max', NaN], ['minBy', 1], ['maxBy', NaN]] as const) {
    const f = fieldReducer<{ v: number }>(kind, 'v');
    for (const order of orders) {
      const got = order.map((v) => ({ v })).reduce((a, b) => f(a, b)).v;
      assert.ok(Object.is(got, want), `${kind} over ${order}: ${got}`);
    }
  }
  const max = fieldReducer<{ v: number }>('max', 'v');
  const min = fieldReducer<{ v: number }>('min', 'v');
  assert.ok(Object.is(max({ v: -0 }, { v: 0 }).v, 0));
  assert.ok(Object.is(min({ v: 0 }, { v: -0 }).v, -0));
  assert.ok(Object.is(max({ v: 0 }, { v: -0 }).v, 0));
});
