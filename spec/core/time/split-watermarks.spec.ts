// Per-split watermarks (SplitWatermarks, and SplitTimestampsOperator over it): the subtask's watermark is the
// lowest of its active splits', never goes back, idleness is per split (on a clock that stands still while the
// source is held back), a split added holds event time back and one ended no longer does, and a subtask with no
// active split is idle. Clocks are given by the test: no sleeps.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SplitWatermarks, checkSplitWatermarks } from '../../../core/time/split-watermarks.js';
import { SplitTimestampsOperator } from '../../../core/time/split-timestamps-operator.js';
import { WatermarkStrategy, type WatermarkOutput } from '../../../core/time/watermark-strategy.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { Downstream } from '../../../core/operators/operator.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../../core/time/watermark.js';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan as makePlan } from '../../../core/graph/physical-plan.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { SOURCE_END, type SourceSpec } from '../../../core/connectors/source.js';
import type { OperatorRestore } from '../../../core/checkpoint/snapshot.js';

interface Ev { ts: number }

const strategy = (bound = 0): WatermarkStrategy<Ev> => WatermarkStrategy.forBoundedOutOfOrderness<Ev>(bound).withTimestampAssigner((e) => e.ts);

/** Collects what the combination emits, monotonic as the operator above it keeps it. */
class Emitted implements WatermarkOutput {
  values: number[] = [];
  emitWatermark(w: number): void {
    if (this.values.length === 0 || w > this.values[this.values.length - 1]!) this.values.push(w);
  }
  get last(): number | undefined { return this.values[this.values.length - 1]; }
}

function feed(w: SplitWatermarks<Ev>, out: WatermarkOutput, split: string, ...ts: number[]): void {
  w.switchTo(split);
  for (const t of ts) w.onEvent({ ts: t }, t, out);
}

describe('SplitWatermarks', () => {
  test('the watermark is the lowest of the active splits\', not the highest', () => {
    const w = new SplitWatermarks(strategy());
    const out = new Emitted();
    w.add('backlog');
    w.add('live');
    feed(w, out, 'live', 1_000_000, 1_000_010);
    w.onPeriodicEmit(out);
    assert.equal(w.low(), MIN_WATERMARK, 'the backlog split has no record yet: it holds event time at the start');
    feed(w, out, 'backlog', 1000, 1500);
    w.onPeriodicEmit(out);
    assert.equal(out.last, 1499, 'the backlog\'s, far behind the live split\'s 1_000_009');
    feed(w, out, 'backlog', 2000);
    w.onPeriodicEmit(out);
    assert.equal(out.last, 1999);
  });

  test('monotonic: a split back from idle, or added, below the watermark does not take it back', () => {
    const w = new SplitWatermarks(strategy().withIdleness(100));
    const out = new Emitted();
    feed(w, out, 'a', 500);
    feed(w, out, 'b', 900);
    w.checkIdleness(0);
    w.onPeriodicEmit(out);
    assert.equal(out.last, 499);
    // b reads on; a has nothing for the timeout: idle, so b alone decides.
    feed(w, out, 'b', 950);
    w.checkIdleness(100);
    feed(w, out, 'b', 1000);
    w.checkIdleness(200);
    assert.deepEqual(w.describe().map((s) => [s.id, s.idle]), [['a', true], ['b', false]]);
    w.onPeriodicEmit(out);
    assert.equal(out.last, 999);
    // a is back, behind: the split's own watermark is its, the combined one stays.
    feed(w, out, 'a', 600);
    assert.equal(w.describe()[0]!.idle, false, 'a record wakes its split');
    w.onPeriodicEmit(out);
    assert.equal(w.low(), 599);
    assert.deepEqual(out.values, [499, 999], 'never back');
    w.add('c');
    w.onPeriodicEmit(out);
    assert.deepEqual(out.values, [499, 999], 'a split added holds it (at the start), no step back');
  });

  test('idleness is per split, by the clock it is given: a split with records is never idle', () => {
    const w = new SplitWatermarks(strategy().withIdleness(50));
    const out = new Emitted();
    w.add('quiet');
    feed(w, out, 'busy', 10);
    w.checkIdleness(0);
    feed(w, out, 'busy', 20);
    w.checkIdleness(49);
    assert.deepEqual(w.describe().map((s) => s.idle), [false, false], 'not before the timeout');
    feed(w, out, 'busy', 30);
    w.checkIdleness(50);
    assert.deepEqual(w.describe().map((s) => [s.id, s.idle]), [['quiet', true], ['busy', false]]);
    assert.equal(w.active, true);
    w.onPeriodicEmit(out);
    assert.equal(out.last, 29, 'the quiet split no longer holds the busy one back');
    w.checkIdleness(100);
    assert.equal(w.active, false, 'every split idle: the subtask is idle');
    assert.ok(Number.isNaN(w.low()));
  });

  test('without withIdleness no split idles, however long', () => {
    const w = new SplitWatermarks(strategy());
    w.add('a');
    w.checkIdleness(0);
    w.checkIdleness(1e9);
    assert.equal(w.active, true);
  });

  test('a split ended no longer holds the others back; with none left the subtask is idle', () => {
    const w = new SplitWatermarks(strategy());
    const out = new Emitted();
    feed(w, out, 'a', 100);
    feed(w, out, 'b', 5000);
    w.onPeriodicEmit(out);
    assert.equal(out.last, 99);
    w.end('a');
    w.onPeriodicEmit(out);
    assert.equal(out.last, 4999);
    w.end('b');
    assert.equal(w.active, false);
    assert.ok(Number.isNaN(w.low()));
    w.end('b');
    w.end('never-added');
  });

  test('records of no split said (held over a restore) move no split', () => {
    const w = new SplitWatermarks(strategy());
    const out = new Emitted();
    w.onEvent({ ts: 1e6 }, 1e6, out);
    w.add('a');
    w.onPeriodicEmit(out);
    assert.deepEqual(out.values, [MIN_WATERMARK]);
  });

  test('a generator that emits on events: the combined watermark moves at once, the lowest still', () => {
    const punctuated = WatermarkStrategy.forGenerator<Ev>('punct', () => ({ onEvent: (_e, ts, o) => o.emitWatermark(ts), onPeriodicEmit() {} })).withTimestampAssigner((e) => e.ts);
    const w = new SplitWatermarks(punctuated);
    const out = new Emitted();
    feed(w, out, 'a', 10);
    assert.deepEqual(out.values, [10]);
    feed(w, out, 'b', 500);
    assert.deepEqual(out.values, [10], 'a is lower');
    feed(w, out, 'a', 700);
    assert.deepEqual(out.values, [10, 500]);
  });

  test('probeLow: what the next periodic emit would give, emitting nothing', () => {
    const w = new SplitWatermarks(strategy());
    const out = new Emitted();
    feed(w, out, 'a', 100);
    feed(w, out, 'b', 300);
    assert.equal(w.probeLow(), 99);
    assert.deepEqual(out.values, []);
  });
});

class Out implements Downstream<Ev> {
  events: string[] = [];
  push(v: Ev): void { this.events.push(`r${v.ts}`); }
  watermark(w: number): void { this.events.push(`wm ${w === MAX_WATERMARK ? 'MAX' : w}`); }
  idle(b: boolean): void { this.events.push(b ? 'idle' : 'active'); }
  finish(): void { this.events.push('finish'); }
}

describe('SplitTimestampsOperator', () => {
  /** The operator on a wall clock of the test's: each tick is 200 ms of it. */
  class Clocked extends SplitTimestampsOperator<Ev> {
    static at = 0;
    protected override wallClock(): number { return Clocked.at; }
  }

  function setup(s: WatermarkStrategy<Ev>) {
    const ctx = new TaskContext('t', 0, 1, 128);
    const out = new Out();
    Clocked.at = 0;
    const op = new Clocked('stamps', ctx, out, s.forSplits(), 200);
    let now = op.nextProcessingTime();
    const tick = (): void => { Clocked.at += 200; op.onProcessingTime(now); now += 200; };
    const push = (ts: number): void => { ctx.timestamp = NaN; op.push({ ts }); };
    return { ctx, out, op, tick, push };
  }

  test('a subtask with no split is idle, and active again (before its watermark) once one is added', () => {
    const { out, op, tick, push } = setup(strategy());
    tick();
    assert.deepEqual(out.events, ['idle']);
    op.add('a');
    tick();
    assert.deepEqual(out.events, ['idle', 'active'], 'a split with no record yet: active, and no watermark');
    op.switchTo('a');
    push(100);
    tick();
    assert.deepEqual(out.events, ['idle', 'active', 'r100', 'wm 99']);
  });

  test('the subtask goes idle only when every split is; a record of one wakes it before the record', () => {
    const { ctx, out, op, tick, push } = setup(strategy().withIdleness(300));
    op.add('a');
    op.add('b');
    op.switchTo('a');
    push(100);
    ctx.sourceIdleSince = 0; // the source finds nothing to read: the idleness clock runs
    tick();
    assert.deepEqual(out.events, ['r100'], 'b holds it back at the start');
    tick();
    assert.deepEqual(out.events, ['r100', 'wm 99'], 'b idle after 400 ms without a record, a not (its record at 200)');
    tick();
    tick();
    assert.deepEqual(out.events, ['r100', 'wm 99', 'idle'], 'a too: the subtask is idle');
    op.switchTo('b');
    push(50);
    assert.deepEqual(out.events.slice(3), ['active', 'r50']);
    tick();
    assert.deepEqual(out.events.slice(5), [], 'b alone is active, at 49: below the subtask\'s 99');
    push(500);
    tick();
    assert.deepEqual(out.events.slice(5), ['r500', 'wm 499']);
    assert.deepEqual(op.describeSplits().map((s) => [s.id, s.watermark, s.idle]), [['a', 99, true], ['b', 499, false]]);
  });

  test('a source held back throughout an interval stops the idleness clock: its splits do not idle', () => {
    const { ctx, out, op, tick, push } = setup(strategy().withIdleness(300));
    op.switchTo('a');
    push(100);
    tick();
    ctx.sourceIdleSince = NaN; // it has data but reads none (backpressure): no records, not waiting for data
    for (let i = 0; i < 10; i++) tick();
    assert.ok(!out.events.includes('idle'), out.events.join());
    ctx.sourceIdleSince = 0;
    tick();
    assert.ok(!out.events.includes('idle'), '200 ms of it');
    tick();
    assert.ok(out.events.includes('idle'), 'it found nothing to read for 400 ms: idle');
  });

  // Regression (a review): the clock ran over any interval in which records came in, and under backpressure the
  // records held from one read drain into the chain with no read: a split whose records waited behind another
  // split's long run went idle, and its records were late.
  test('records draining from a held read move no idleness clock: only reads of the source do', () => {
    const { ctx, out, op, tick, push } = setup(strategy().withIdleness(300));
    op.add('a');
    op.add('b');
    ctx.sourceReads++;
    op.switchTo('b');
    push(50);
    op.switchTo('a');
    push(1000);
    tick();
    for (let i = 0; i < 10; i++) {
      push(1001 + i); // a's held run drains, no read of either split
      tick();
    }
    assert.ok(!out.events.includes('wm 999') && !out.events.some((e) => /^wm (\d+)$/.test(e) && Number(e.slice(3)) > 49), `b holds the watermark at 49: ${out.events.join()}`);
    assert.deepEqual(op.describeSplits().map((x) => [x.id, x.idle]), [['a', false], ['b', false]]);
    for (let i = 0; i < 3; i++) {
      ctx.sourceReads++; // read again, a's records only: now time counts
      push(1100 + i);
      tick();
    }
    assert.deepEqual(op.describeSplits().map((x) => [x.id, x.idle]), [['a', false], ['b', true]], 'b idle after reads found none of it for 400 ms');
  });

  test('snapshot and restore are the subtask\'s watermark: it starts at the old subtasks\' lowest and never goes below', () => {
    const { out, op, tick, push } = setup(strategy());
    op.restoreState({ operator: [5000, 3000], keyed: [] } as unknown as OperatorRestore);
    op.switchTo('a');
    push(1000);
    tick();
    assert.deepEqual(out.events, ['r1000', 'wm 3000'], 'the restored one is sent, the split\'s 999 is below it');
    push(4000);
    tick();
    assert.deepEqual(out.events.slice(2), ['r4000', 'wm 3999']);
    assert.deepEqual(op.snapshotState(), { operator: [3999], redistribute: 'union' });
  });

  test('progressWatermark (an aligned source\'s hold) is the lowest active split\'s', () => {
    const { op, push } = setup(strategy());
    op.switchTo('a');
    push(100);
    op.switchTo('b');
    push(900);
    assert.equal(op.progressWatermark(), 99);
  });
});

describe('assignTimestampsAndWatermarks perSplit', () => {
  const source: SourceSpec<Ev> = { kind: 'test', fingerprint: 'test', maxParallelism: 4, bounded: true, rewindable: true, enumerateSplits: () => [], createReader: () => ({ read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: () => [] }) };

  test('must be called on the source\'s stream', () => {
    const env = new StreamEnvironment(1);
    const s = env.fromSource<Ev>(source).map((x) => x);
    assert.throws(() => s.assignTimestampsAndWatermarks(strategy(), { perSplit: true }), (e: unknown) => e instanceof JobDefinitionError && /right on the source's stream/.test(e.message));
  });

  test('must be chained to its source: a build-time error naming the operator', () => {
    const env = new StreamEnvironment(2);
    env.fromSource<Ev>(source).assignTimestampsAndWatermarks(strategy(), { perSplit: true }).name('stamps').setParallelism(1).print();
    const plan = makePlan(env.graph, { chaining: true, threads: 2 });
    assert.throws(() => checkSplitWatermarks(env.graph, plan), (e: unknown) => e instanceof JobDefinitionError && /'stamps' must be chained to its source/.test(e.message));
    const ok = new StreamEnvironment(2);
    ok.fromSource<Ev>(source).assignTimestampsAndWatermarks(strategy(), { perSplit: true }).print();
    checkSplitWatermarks(ok.graph, makePlan(ok.graph, { chaining: true, threads: 2 }));
  });

  test('part of the fingerprint', () => {
    assert.notEqual(strategy().forSplits().fingerprint, strategy().fingerprint);
    assert.equal(strategy().forSplits().withIdleness(5).perSplit, true);
  });
});
