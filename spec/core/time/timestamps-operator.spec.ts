// TimestampsOperator with the built-in and custom watermark strategies: timestamps assigned, watermarks emitted
// periodically from onProcessingTime, idleness only after the source has read nothing for the timeout and active
// again at the next record, the final watermark at end of input, and typed errors for bad timestamps.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TimestampsOperator } from '../../../core/time/timestamps-operator.js';
import { WatermarkStrategy, type WatermarkGenerator, type WatermarkOutput } from '../../../core/time/watermark-strategy.js';
import { WatermarkValve } from '../../../core/time/watermark-valve.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { Downstream } from '../../../core/operators/operator.js';
import { JobDefinitionError, OperatorError } from '../../../core/api/errors.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../../core/time/watermark.js';

interface Ev { ts: number; id: string }

class Out implements Downstream<Ev> {
  events: string[] = [];
  constructor(private readonly ctx: TaskContext) {}
  push(v: Ev): void { this.events.push(`${v.id}@${this.ctx.timestamp}`); }
  watermark(w: number): void { this.events.push(`wm ${w === MAX_WATERMARK ? 'MAX' : w}`); }
  idle(b: boolean): void { this.events.push(b ? 'idle' : 'active'); }
  finish(): void { this.events.push('finish'); }
}

const INTERVAL = 200;

/** Chained right behind a source by default (`behindSource`), as most assigners are. */
function setup(strategy: WatermarkStrategy<Ev>, behindSource = true) {
  const ctx = new TaskContext('t', 0, 1, 128);
  const out = new Out(ctx);
  const op = new TimestampsOperator<Ev>('stamps', ctx, out, strategy, INTERVAL);
  op.behindSource = behindSource;
  const push = (ts: number, id = String(ts), recordTs = NaN): void => { ctx.timestamp = recordTs; op.push({ ts, id }); };
  /** The subtask's timer loop: fire when due. */
  let now = op.nextProcessingTime();
  const tick = (): void => { op.onProcessingTime(now); now += INTERVAL; };
  return { ctx, out, op, push, tick };
}

const byTs = (s: WatermarkStrategy<Ev>): WatermarkStrategy<Ev> => s.withTimestampAssigner((e) => e.ts);

describe('TimestampsOperator', () => {
  test('bounded out-of-orderness: every interval, the watermark is the largest timestamp seen - bound - 1', () => {
    const { out, push, tick, ctx } = setup(byTs(WatermarkStrategy.forBoundedOutOfOrderness(50)));
    tick();
    assert.deepEqual(out.events, [], 'no watermark before any record');
    push(100); push(300); push(200);
    assert.deepEqual(out.events, ['100@100', '300@300', '200@200'], 'records carry their assigned timestamps');
    tick();
    assert.deepEqual(out.events.slice(3), ['wm 249']);
    assert.equal(ctx.emittedWatermark, 249, 'the task\'s watermark, as its chain emits it');
    assert.equal(ctx.watermark, MIN_WATERMARK, 'above the operator, the input\'s (none here)');
    tick();
    assert.equal(out.events.length, 4, 'an unchanged watermark is not sent again');
    push(1000);
    tick();
    assert.deepEqual(out.events.slice(5), ['wm 949']);
    // Below it, its own (regression: the operators above saw it too).
    const seen: number[] = [];
    const record = out.push.bind(out);
    out.push = (v) => { seen.push(ctx.watermark); record(v); };
    ctx.watermark = 5_000;
    push(2000);
    assert.deepEqual(seen, [949]);
    assert.equal(ctx.watermark, 5_000, 'put back for the operators above');
  });

  test('monotonous timestamps: the watermark is the largest timestamp - 1', () => {
    const { out, push, tick } = setup(byTs(WatermarkStrategy.forMonotonousTimestamps()));
    push(10); push(20);
    tick();
    assert.equal(out.events.at(-1), 'wm 19');
  });

  test('periodic emission waits for its time: onProcessingTime before nextProcessingTime does nothing', () => {
    const { out, push, op } = setup(byTs(WatermarkStrategy.forBoundedOutOfOrderness(0)));
    push(10);
    const due = op.nextProcessingTime();
    op.onProcessingTime(due - 1);
    assert.deepEqual(out.events, ['10@10']);
    op.onProcessingTime(due);
    assert.deepEqual(out.events, ['10@10', 'wm 9']);
    assert.equal(op.nextProcessingTime(), due + INTERVAL);
  });

  test('a custom generator: punctuated watermarks from onEvent come after the record that carried them (regression: before it, making it late)', () => {
    const punctuated = (): WatermarkGenerator<Ev> => ({
      onEvent(e, ts, o) { if (e.id.startsWith('mark')) o.emitWatermark(ts); },
      onPeriodicEmit() {},
    });
    const { out, push, tick } = setup(byTs(WatermarkStrategy.forGenerator('punctuated', punctuated)));
    push(5, 'a');
    push(10, 'mark');
    push(7, 'late');
    push(8, 'mark2'); // lower: ignored
    tick();
    assert.deepEqual(out.events, ['a@5', 'mark@10', 'wm 10', 'late@7', 'mark2@8']);
  });

  test('without an assigner the record keeps the timestamp it came with; the assigner sees it too', () => {
    const { out, push } = setup(WatermarkStrategy.forMonotonousTimestamps<Ev>());
    push(0, 'x', 42);
    const seen: (number | undefined)[] = [];
    const s2 = setup(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner((e, rt) => { seen.push(rt); return e.ts; }));
    s2.push(5, 'y', 42);
    s2.push(6, 'z');
    assert.deepEqual(out.events, ['x@42']);
    assert.deepEqual(seen, [42, undefined]);
  });

  // A string read from JSON or CSV was shown as a number: "the timestamp assigner returned 1010, not a number of ms".
  test('a timestamp assigner returning a string, a Date or a bigint says which, and how to convert it', () => {
    const cases: [unknown, RegExp][] = [
      ['1010', /timestamp assigner returned the string "1010" \(convert it: Number\(s\), or Date\.parse\(s\) for a date\), not a number of ms/],
      [new Date(1010), /timestamp assigner returned a Date \(1970-01-01T00:00:01\.010Z; use date\.getTime\(\)\), not a number of ms/],
      [1010n, /timestamp assigner returned the bigint 1010n \(use Number\(\.\.\.\)\), not a number of ms/],
    ];
    for (const [bad, message] of cases) {
      const { push } = setup(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(() => bad as number));
      assert.throws(() => push(1), (e: unknown) => e instanceof OperatorError && e.operator === 'stamps' && message.test(e.message), String(bad));
    }
  });

  test('a timestamp assigner returning a non-number, or a record without a timestamp and no assigner, fails with OperatorError naming the operator', () => {
    // 2^53 and above (nanosecond clocks): no window or timer could ever close over it (regression: lost silently).
    for (const bad of [undefined, '12', NaN, Infinity, null, 2 ** 53, 1.7e18, -(2 ** 53)]) {
      const { push } = setup(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(() => bad as unknown as number));
      assert.throws(() => push(1), (e: unknown) => e instanceof OperatorError && e.operator === 'stamps' && /timestamp assigner returned .*, not a number of ms within ±\(2\^53 - 1\) \(in ns or µs\? event time is in ms\)/.test(e.message), String(bad));
    }
    for (const good of [0, 0.5, 2 ** 53 - 1, -(2 ** 53) + 1]) setup(WatermarkStrategy.forMonotonousTimestamps<Ev>().withTimestampAssigner(() => good)).push(1);
    const { push } = setup(WatermarkStrategy.forMonotonousTimestamps<Ev>());
    assert.throws(() => push(1), (e: unknown) => e instanceof OperatorError && e.operator === 'stamps' && /no timestamp/.test(e.message));
    assert.throws(() => push(1, 'ns', 1.7e18), (e: unknown) => e instanceof OperatorError && e.operator === 'stamps' && /the record's timestamp from its source is 1700000000000000000, not a number of ms within/.test(e.message));
    const thrower = setup(WatermarkStrategy.forGenerator<Ev>('bad', () => ({ onEvent() { throw new Error('gen'); }, onPeriodicEmit() { throw new Error('periodic'); } })).withTimestampAssigner((e) => e.ts));
    assert.throws(() => thrower.push(1), (e: unknown) => e instanceof OperatorError && /gen/.test(e.message));
    assert.throws(() => thrower.tick(), (e: unknown) => e instanceof OperatorError && /periodic/.test(e.message));
  });

  test('idleness: only once the source has read nothing for the timeout; the next record makes the stream active again', () => {
    const { out, push, tick, ctx } = setup(byTs(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0)).withIdleness(1000));
    push(10);
    tick();
    assert.deepEqual(out.events, ['10@10', 'wm 9']);
    // No empty reads at all (a busy or backpressured source): never idle, however long.
    tick(); tick();
    assert.ok(!out.events.includes('idle'));
    // Empty reads, but for less than the timeout.
    ctx.sourceIdleSince = performance.now() - 500;
    tick();
    assert.ok(!out.events.includes('idle'));
    // Empty reads for the timeout.
    ctx.sourceIdleSince = performance.now() - 1000;
    tick();
    tick();
    assert.deepEqual(out.events.filter((e) => e === 'idle'), ['idle'], 'idle once');
    ctx.sourceIdleSince = NaN; // the source read something
    push(20);
    assert.deepEqual(out.events.slice(-2), ['active', '20@20'], 'active again before the record');
    tick();
    assert.equal(out.events.at(-1), 'wm 19');
  });

  // Regressions: behind an exchange (a source at parallelism 1 rebalanced to assigners at 2) the task
  // reads no source, sourceIdleSince stays NaN, and the stream never went idle: a quiet input held back every
  // window downstream; behind a filter in the source's chain the source's reads kept it active though nothing
  // passed. There, as in Flink, it is idle once no record has reached it for the timeout.
  test('idleness behind an exchange: once no record has come for the timeout, checked at the interval; a record ends it', (t) => {
    let clock = 0;
    t.mock.method(performance, 'now', () => clock);
    const { out, push, tick, ctx } = setup(byTs(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0)).withIdleness(1000), false);
    ctx.sourceIdleSince = -1e9; // not a source task: never consulted
    push(10);
    tick();
    assert.deepEqual(out.events, ['10@10', 'wm 9']);
    clock = 900;
    tick();
    assert.ok(!out.events.includes('idle'), 'not before the timeout');
    clock = 1100;
    tick();
    tick();
    assert.deepEqual(out.events.filter((e) => e === 'idle'), ['idle'], 'idle once, after the timeout');
    push(20);
    assert.deepEqual(out.events.slice(-2), ['active', '20@20'], 'active again before the record');
    clock = 2000;
    tick();
    assert.equal(out.events.at(-1), 'wm 19', 'the record counts as activity: not idle again at once');
    clock = 3100;
    tick();
    assert.equal(out.events.at(-1), 'idle');
  });

  test('without withIdleness a source that reads nothing is never idle', () => {
    const { out, tick, ctx } = setup(byTs(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0)));
    ctx.sourceIdleSince = performance.now() - 1e9;
    tick();
    assert.deepEqual(out.events, []);
  });

  test('upstream watermarks and idleness are not passed on, except the final watermark; finish sends MAX_WATERMARK once', () => {
    const { out, op, push, ctx } = setup(byTs(WatermarkStrategy.forBoundedOutOfOrderness<Ev>(0)));
    push(10);
    op.watermark(5);
    op.idle(true);
    assert.deepEqual(out.events, ['10@10']);
    op.watermark(MAX_WATERMARK);
    op.finish();
    assert.deepEqual(out.events, ['10@10', 'wm MAX', 'finish']);
    assert.equal(ctx.watermark, MAX_WATERMARK);
    const s = setup(byTs(WatermarkStrategy.noWatermarks<Ev>()));
    s.push(1); s.tick(); s.op.finish();
    assert.deepEqual(s.out.events, ['1@1', 'wm MAX', 'finish'], 'noWatermarks: event time only moves at the end');
  });
});

describe('WatermarkStrategy', () => {
  test('bad arguments are JobDefinitionErrors', () => {
    assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(-1), JobDefinitionError);
    assert.throws(() => WatermarkStrategy.forBoundedOutOfOrderness(NaN), JobDefinitionError);
    assert.throws(() => WatermarkStrategy.forGenerator('x', 5 as never), JobDefinitionError);
    assert.throws(() => WatermarkStrategy.forMonotonousTimestamps().withTimestampAssigner('ts' as never), JobDefinitionError);
    assert.throws(() => WatermarkStrategy.forMonotonousTimestamps().withIdleness(-5), JobDefinitionError);
  });

  test('the fingerprint names what every thread must agree on', () => {
    assert.equal(WatermarkStrategy.forBoundedOutOfOrderness(50).fingerprint, 'bounded(50);assigner=record;idle=off');
    assert.equal(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x).withIdleness(100).fingerprint, 'monotonous;assigner=fn;idle=100');
    assert.equal(WatermarkStrategy.forGenerator('g', () => ({ onEvent() {}, onPeriodicEmit() {} })).fingerprint, 'custom(g);assigner=record;idle=off');
  });

  test('each operator instance gets its own generator', () => {
    let made = 0;
    const s = byTs(WatermarkStrategy.forGenerator<Ev>('count', () => { made++; return { onEvent() {}, onPeriodicEmit() {} }; }));
    setup(s); setup(s);
    assert.equal(made, 2);
  });
});

// Regression: once idle, the generator's periodic emit still ran; a generator whose watermark moves on
// without records then woke the input downstream (any watermark marks it active) while this operator still
// counted it idle and never said so again, so the input held the task's watermark back.
test('an idle stream gets no periodic watermark: downstream it stays idle and follows the other input', () => {
  const INTERVAL = 200;
  /** Bounded out-of-orderness that, with no new events, lets event time creep forward by 100 per tick, up to +300. */
  class Creeping implements WatermarkGenerator<{ ts: number }> {
    private maxTs = -Infinity;
    private ticks = 0;
    onEvent(_e: { ts: number }, ts: number): void { if (ts > this.maxTs) { this.maxTs = ts; this.ticks = 0; } }
    onPeriodicEmit(out: WatermarkOutput): void {
      if (this.maxTs !== -Infinity) out.emitWatermark(this.maxTs + Math.min(this.ticks++, 3) * 100 - 1);
    }
  }
  const ctx = new TaskContext('t', 0, 1, 128);
  const downstream: number[] = [];
  const valve = new WatermarkValve(2, { watermark: (w) => downstream.push(w), idle: () => {} });
  const wire: Downstream<{ ts: number }> = { push() {}, finish() {}, watermark: (w) => valve.onWatermark(0, w), idle: (b) => valve.onIdle(0, b) };
  const strategy = WatermarkStrategy.forGenerator<{ ts: number }>('creep', () => new Creeping()).withTimestampAssigner((e) => e.ts).withIdleness(1000);
  const op = new TimestampsOperator<{ ts: number }>('stamps', ctx, wire, strategy, INTERVAL);
  op.behindSource = true;
  let now = op.nextProcessingTime();
  const tick = (): void => { op.onProcessingTime(now); now += INTERVAL; };
  op.push({ ts: 1000 });
  tick(); // 999
  ctx.sourceIdleSince = performance.now() - 5000; // the source has read nothing for long
  for (let i = 0; i < 10; i++) tick();
  valve.onWatermark(1, 5000);
  valve.onWatermark(1, 9000);
  assert.equal(downstream.at(-1), 9000, `downstream watermarks: ${downstream.join(', ')}`);
});

describe('TimestampsOperator behind a source that holds no split', () => {
  test('idle without withIdleness while its source holds no split, active again once it holds one', () => {
    const { out, push, tick, ctx } = setup(byTs(WatermarkStrategy.forMonotonousTimestamps()));
    push(100);
    tick();
    ctx.sourceHoldsNoSplit = true;
    tick();
    assert.deepEqual(out.events, ['100@100', 'wm 99', 'idle'], 'no idle timeout in the strategy, idle all the same');
    tick();
    assert.equal(out.events.length, 3, 'said once');
    ctx.sourceHoldsNoSplit = false;
    tick();
    assert.deepEqual(out.events.slice(3), ['active'], 'given a split: active before any watermark of it goes out');
    push(300);
    tick();
    assert.deepEqual(out.events.slice(4), ['300@300', 'wm 299']);
  });

  test('its watermark is left out of the checkpoint while it holds no split (its minimum would restore every subtask at none)', () => {
    const { op, push, tick, ctx } = setup(byTs(WatermarkStrategy.forMonotonousTimestamps()));
    assert.deepEqual(op.snapshotState()?.operator, [MIN_WATERMARK], 'with a split and no record yet, the minimum holds the rest back');
    ctx.sourceHoldsNoSplit = true;
    assert.equal(op.snapshotState(), undefined);
    ctx.sourceHoldsNoSplit = false;
    push(100);
    tick();
    assert.deepEqual(op.snapshotState()?.operator, [99]);
  });

  test('behind an exchange it goes by its records, not by a source of its task', () => {
    const { out, tick, ctx } = setup(byTs(WatermarkStrategy.forMonotonousTimestamps()), false);
    ctx.sourceHoldsNoSplit = true;
    tick();
    tick();
    assert.deepEqual(out.events, []);
  });
});
