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
