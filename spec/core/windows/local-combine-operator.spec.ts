// The local half of a two-phase window aggregate (combineLocally): one partial per key and window, sent when the
// watermark closes the window (before the watermark itself), at the end of input, or all at once when too many
// are held; a record whose window this subtask already sent goes alone; held accumulators survive a snapshot and
// merge on restore. Misuse is a JobDefinitionError naming what does not fit.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { CountTrigger, OutputTag, SlidingEventTimeWindows, TumblingEventTimeWindows, TumblingProcessingTimeWindows } from '../../../core/index.js';
import { LocalCombineOperator, type CombineSpec, type PartialAggregate } from '../../../core/windows/local-combine-operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { Downstream } from '../../../core/operators/operator.js';

interface Ev { k: string; v: number }
type Out = { kind: 'rec'; k: unknown; a: unknown; ts: number } | { kind: 'wm'; wm: number } | { kind: 'end' };

function setup(maxHeld = 1000): { op: LocalCombineOperator; ctx: TaskContext; out: Out[]; push(e: Ev, ts: number): void } {
  const ctx = new TaskContext('t', 0, 1, 128);
  const out: Out[] = [];
  const next: Downstream<PartialAggregate<unknown>> = {
    push: (p) => out.push({ kind: 'rec', k: p.k, a: p.a, ts: ctx.timestamp }),
    watermark: (wm) => out.push({ kind: 'wm', wm }),
    idle: () => {},
    finish: () => out.push({ kind: 'end' }),
  };
  const spec: CombineSpec = {
    assigner: TumblingEventTimeWindows.of(10) as CombineSpec['assigner'],
    key: (e) => (e as Ev).k,
    createAccumulator: () => 0,
    add: (e, acc) => (acc as number) + (e as Ev).v,
    merge: (a, b) => (a as number) + (b as number),
    maxHeld,
  };
  const op = new LocalCombineOperator('c', ctx, next, spec);
  return { op, ctx, out, push: (e, ts) => { ctx.timestamp = ts; op.push(e); } };
}

describe('LocalCombineOperator', () => {
  test('one partial per key and window, stamped with the window maxTimestamp, sent before the watermark that closes it', () => {
    const { op, ctx, out, push } = setup();
    push({ k: 'a', v: 1 }, 1); push({ k: 'b', v: 2 }, 3); push({ k: 'a', v: 4 }, 9); push({ k: 'a', v: 8 }, 12);
    assert.deepEqual(out, []);
    ctx.watermark = 9;
    op.watermark(9);
    assert.deepEqual(out, [{ kind: 'rec', k: 'a', a: 5, ts: 9 }, { kind: 'rec', k: 'b', a: 2, ts: 9 }, { kind: 'wm', wm: 9 }]);
    out.length = 0;
    op.finish();
    assert.deepEqual(out, [{ kind: 'rec', k: 'a', a: 8, ts: 19 }, { kind: 'end' }]);
    assert.equal(op.recordsIn, 4);
    assert.equal(op.recordsOut, 3);
  });

  test('a record whose window was already sent goes alone, at once', () => {
    const { op, ctx, out, push } = setup();
    ctx.watermark = 25;
    op.watermark(25);
    out.length = 0;
    push({ k: 'a', v: 3 }, 12);
    push({ k: 'a', v: 4 }, 14);
    assert.deepEqual(out, [{ kind: 'rec', k: 'a', a: 3, ts: 19 }, { kind: 'rec', k: 'a', a: 4, ts: 19 }]);
  });

  test('holding maxHeld accumulators sends them all early (the window operator merges the rest later)', () => {
    const { out, push } = setup(2);
    push({ k: 'a', v: 1 }, 1); push({ k: 'a', v: 1 }, 2);
    assert.deepEqual(out, []);
    push({ k: 'b', v: 5 }, 15);
    assert.deepEqual((out as Out[]).map((o) => (o.kind === 'rec' ? [o.k, o.a, o.ts] : o.kind)), [['a', 2, 9], ['b', 5, 19]]);
  });

  test('held accumulators are operator state: restored (and merged, after a rescale) into another instance', () => {
    const a = setup();
    a.push({ k: 'x', v: 1 }, 1); a.push({ k: 'y', v: 2 }, 11);
    const s1 = a.op.snapshotState()!;
    const b = setup();
    b.push({ k: 'x', v: 10 }, 2);
    const s2 = b.op.snapshotState()!;
    assert.equal(s1.redistribute, 'split');
    const c = setup();
    c.op.restoreState({ keyed: [], operator: [...s1.operator!, ...s2.operator!] });
    c.op.finish();
    assert.deepEqual(c.out.filter((o) => o.kind === 'rec'), [{ kind: 'rec', k: 'x', a: 11, ts: 9 }, { kind: 'rec', k: 'y', a: 2, ts: 19 }]);
    assert.equal(setup().op.snapshotState(), undefined, 'nothing held, no state');
  });
});

// Regression: the combiner kept a window's first record as it came, so a field aggregation's first
// record without a number in its field was not refused there (without combining it is): the next good one failed.
test('combineLocally with a field aggregation refuses a first record without a number in the field', () => {
  const env = new StreamEnvironment(1);
  env.fromCollection<Ev>([]).keyBy((e) => e.k).window(TumblingEventTimeWindows.of(10)).combineLocally().sum('v');
  const spec = env.graph.nodes.find((n) => n.kind === 'combine')!.spec as CombineSpec;
  assert.throws(() => spec.add({ k: 'a', v: 'x' }, spec.createAccumulator()), /sum\('v'\): the record's 'v' is a string, not a number/);
  assert.deepEqual(spec.add({ k: 'a', v: 2 }, spec.add({ k: 'a', v: 1 }, spec.createAccumulator())), [{ k: 'a', v: 3 }]);
});

describe('combineLocally: what does not fit is refused at build time', () => {
  const agg = { createAccumulator: () => 0, add: (e: Ev, n: number) => n + e.v, getResult: (n: number) => n, merge: (x: number, y: number) => x + y };
  const keyed = () => new StreamEnvironment(1).fromCollection<Ev>([]).keyBy((e) => e.k);
  const refused = (f: () => unknown, re: RegExp): void => assert.throws(f, (e: unknown) => e instanceof JobDefinitionError && re.test(e.message), String(re));

  test('windows that are not event-time tumbling, another trigger, a late-data side output, no merge, process', () => {
    refused(() => keyed().window(SlidingEventTimeWindows.of(10, 5)).combineLocally().aggregate(agg), /combineLocally: needs event-time tumbling windows, not SlidingEventTimeWindows/);
    refused(() => keyed().window(TumblingProcessingTimeWindows.of(10)).combineLocally().aggregate(agg), /needs event-time tumbling windows/);
    refused(() => keyed().window(TumblingEventTimeWindows.of(10)).trigger(CountTrigger.of(3) as never).combineLocally().aggregate(agg), /default event-time trigger/);
    refused(() => keyed().window(TumblingEventTimeWindows.of(10)).sideOutputLateData(new OutputTag<Ev>('late')).combineLocally().aggregate(agg), /sideOutputLateData/);
    refused(() => keyed().window(TumblingEventTimeWindows.of(10)).combineLocally().aggregate({ ...agg, merge: undefined }), /needs merge\(a, b\)/);
    refused(() => keyed().window(TumblingEventTimeWindows.of(10)).combineLocally().process(() => {}), /applies to aggregate and reduce, not to process/);
    refused(() => keyed().window(TumblingEventTimeWindows.of(10)).combineLocally(0), /maxHeld must be an integer >= 1/);
  });

  test('the combiner runs in its input subtasks and takes the window operator name and uid', () => {
    const env = new StreamEnvironment(2);
    const src = env.fromCollection<Ev>([]).setParallelism(3);
    src.keyBy((e) => e.k).window(TumblingEventTimeWindows.of(10)).combineLocally().aggregate(agg).name('sums').uid('sums-v1').setParallelism(2);
    const g = env.graph;
    const combiner = g.nodes.find((n) => n.kind === 'combine')!;
    assert.equal(combiner.name, 'sums.combine');
    assert.equal(combiner.uid, 'sums-v1.combine');
    assert.equal(g.parallelismOf(combiner), 3);
    assert.equal(combiner.inputs[0]!.partitioner, 'forward');
  });
});
