// WatermarkStrategy on its own: the built-in generators' watermarks (max timestamp - bound - 1, nothing before the
// first record, never backwards), the builder's arguments (a JobDefinitionError for each bad one, every builder
// step keeping what earlier ones set, the original left unchanged) and the fingerprint, which must tell apart any
// two strategies that behave differently (threads that disagree must not run one job).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkStrategy, type WatermarkGenerator } from '../../../core/time/watermark-strategy.js';
import { JobDefinitionError } from '../../../core/api/errors.js';

/** Feeds `timestamps` to a fresh generator of `s`, asking for a periodic emit after each; returns what it emitted. */
function drive(s: WatermarkStrategy<unknown>, timestamps: number[]): number[] {
  const out: number[] = [];
  const output = { emitWatermark: (w: number) => { out.push(w); } };
  const g = s.createGenerator();
  g.onPeriodicEmit(output);
  for (const ts of timestamps) {
    g.onEvent(null, ts, output);
    g.onPeriodicEmit(output);
  }
  return out;
}

test('bounded out-of-orderness: nothing before the first record, then max timestamp - bound - 1, never backwards', () => {
  assert.deepEqual(drive(WatermarkStrategy.forBoundedOutOfOrderness(100), [1000, 1500, 1200, 1500, 1501]), [899, 1399, 1399, 1399, 1400]);
  // A bound of 0 is allowed; monotonous timestamps are that bound.
  assert.deepEqual(drive(WatermarkStrategy.forBoundedOutOfOrderness(0), [5, 3, 9]), [4, 4, 8]);
  assert.deepEqual(drive(WatermarkStrategy.forMonotonousTimestamps(), [5, 3, 9]), [4, 4, 8]);
});

test('bounded out-of-orderness: negative and fractional timestamps and bounds give whole-ms watermarks', () => {
  assert.deepEqual(drive(WatermarkStrategy.forBoundedOutOfOrderness(0), [-10]), [-11]);
  assert.deepEqual(drive(WatermarkStrategy.forBoundedOutOfOrderness(0.5), [10]), [8]);
  assert.deepEqual(drive(WatermarkStrategy.forBoundedOutOfOrderness(0), [10.7]), [9]);
});

test('records alone emit nothing: watermarks come only from the periodic emit', () => {
  const out: number[] = [];
  const g = WatermarkStrategy.forBoundedOutOfOrderness(0).createGenerator();
  for (const ts of [1, 2, 3]) g.onEvent(null, ts, { emitWatermark: (w) => { out.push(w); } });
  assert.deepEqual(out, []);
});

test('each createGenerator is a fresh generator (one per subtask): no state shared', () => {
  const s = WatermarkStrategy.forBoundedOutOfOrderness(0);
  assert.deepEqual(drive(s, [1000]), [999]);
  assert.deepEqual(drive(s, [5]), [4], 'not held at the other generator\'s 999');
});

test('noWatermarks never emits, whatever it is fed', () => {
  assert.deepEqual(drive(WatermarkStrategy.noWatermarks(), [1, 100, 10_000]), []);
});

test('forGenerator runs the given factory for each generator', () => {
  let made = 0;
  const s = WatermarkStrategy.forGenerator<number>('every-record', (): WatermarkGenerator<number> => {
    made++;
    return { onEvent: (_e, ts, out) => out.emitWatermark(ts), onPeriodicEmit() {} };
  });
  assert.equal(made, 0, 'lazily, on the threads');
  assert.deepEqual(drive(s as WatermarkStrategy<unknown>, [7, 8]), [7, 8]);
  assert.equal(made, 1);
});

test('bad arguments are JobDefinitionErrors that say what was expected', () => {
  const s = WatermarkStrategy.forMonotonousTimestamps<number>();
  for (const bound of [-1, NaN, Infinity, '5' as unknown as number, undefined as unknown as number]) {
    assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(bound), (e: Error) => e instanceof JobDefinitionError && /the bound must be a number of ms >= 0/.test(e.message), String(bound));
  }
  assert.throws(() => WatermarkStrategy.forGenerator('g', undefined as never), /forGenerator: expected a function/);
  assert.throws(() => s.withTimestampAssigner(null as never), /withTimestampAssigner: expected a function/);
  for (const t of [-1, NaN, Infinity]) assert.throws(() => s.withIdleness(t), (e: Error) => e instanceof JobDefinitionError && /withIdleness/.test(e.message), String(t));
  assert.throws(() => s.withWatermarkAlignment(5 as never, 10), JobDefinitionError);
  assert.throws(() => s.withWatermarkAlignment('g', Infinity), JobDefinitionError);
  assert.throws(() => s.withWatermarkAlignment('g', 10, -1), JobDefinitionError);
  assert.throws(() => s.withWatermarkAlignment('g', 10, Infinity), JobDefinitionError);
});

test('boundaries that are allowed: an idle timeout and a drift of 0', () => {
  const s = WatermarkStrategy.forMonotonousTimestamps<number>();
  assert.equal(s.withIdleness(0).idleTimeoutMs, 0);
  assert.equal(s.withWatermarkAlignment('g', 0).alignment?.maxDriftMs, 0);
});

test('each builder step returns a new strategy that keeps what earlier steps set, and leaves the original as it was', () => {
  const assigner = (x: number): number => x;
  const base = WatermarkStrategy.forBoundedOutOfOrderness<number>(5);
  const full = base.withWatermarkAlignment('g', 20, 7).withIdleness(300).withTimestampAssigner(assigner);
  assert.equal(full.assigner, assigner);
  assert.equal(full.idleTimeoutMs, 300);
  assert.deepEqual(full.alignment, { group: 'g', maxDriftMs: 20, updateIntervalMs: 7 });
  assert.deepEqual(drive(full as WatermarkStrategy<unknown>, [100]), [94], 'the generator too');
  // The other order.
  const other = base.withTimestampAssigner(assigner).withIdleness(300).withWatermarkAlignment('g', 20, 7);
  assert.equal(other.fingerprint, full.fingerprint);
  assert.equal(base.assigner, undefined);
  assert.equal(base.idleTimeoutMs, undefined);
  assert.equal(base.alignment, undefined);
  assert.equal(base.fingerprint, 'bounded(5);assigner=record;idle=off');
  // The update interval defaults to 10 ms.
  assert.equal(base.withWatermarkAlignment('g', 20).alignment?.updateIntervalMs, 10);
});

test('fingerprint: strategies that behave differently never share one', () => {
  const m = WatermarkStrategy.forMonotonousTimestamps<number>();
  const variants = [
    m,
    WatermarkStrategy.forBoundedOutOfOrderness<number>(0),
    WatermarkStrategy.forBoundedOutOfOrderness<number>(1),
    WatermarkStrategy.noWatermarks<number>(),
    WatermarkStrategy.forGenerator<number>('a', () => ({ onEvent() {}, onPeriodicEmit() {} })),
    WatermarkStrategy.forGenerator<number>('b', () => ({ onEvent() {}, onPeriodicEmit() {} })),
    m.withTimestampAssigner((x) => x),
    m.withIdleness(0),
    m.withIdleness(1),
    m.withWatermarkAlignment('g', 1),
    m.withWatermarkAlignment('g', 2),
    m.withWatermarkAlignment('g', 1, 11),
    m.withWatermarkAlignment('h', 1),
    // Group names with the fingerprint's own separators in them.
    m.withWatermarkAlignment('g,1', 1),
    m.withWatermarkAlignment('g', 11),
  ];
  const prints = variants.map((s) => s.fingerprint);
  assert.equal(new Set(prints).size, prints.length, prints.join('\n'));
  // And the same configuration, built twice, agrees (each thread builds its own).
  assert.equal(m.withWatermarkAlignment('g', 1).fingerprint, WatermarkStrategy.forMonotonousTimestamps<number>().withWatermarkAlignment('g', 1).fingerprint);
});
