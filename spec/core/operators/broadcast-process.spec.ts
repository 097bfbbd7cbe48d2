// The plain (non-keyed) broadcast process operator on this thread: broadcast records write broadcast state, plain
// records read it; its state is checkpointed as 'broadcast' operator state; chained behind a source it merges its
// two inputs' event time and ends when both have.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MapStateDescriptor, StreamEnvironment, type BroadcastProcessFunction } from '../../../core/index.js';
import type { BroadcastProcessOperator } from '../../../core/operators/broadcast-process.js';
import { MAX_WATERMARK, MIN_WATERMARK } from '../../../core/time/watermark.js';
import { instantiate } from '../windows/harness.js';
import { permanent } from '../../../core/runtime/permanent-error.js';
import { ownStateOf, type OwnStateItem } from '../../../core/operators/own-state.js';
import { broadcastItemEntries } from '../../../core/operators/broadcast-states.js';
import { chunkPackr } from '../../../core/checkpoint/chunk-packr.js';

/** As the coordinator writes a subtask's non-keyed items to a chunk and restore.ts reads them back. */
const throughChunk = (items: unknown[]): unknown[] => chunkPackr().unpack(chunkPackr().pack(items)) as unknown[];

interface Reading { sensor: string; value: number }
const LIMITS = new MapStateDescriptor<string, number>('limits');

function build(fn?: BroadcastProcessFunction<Reading, [string, number], string>, stateFastPaths = true) {
  const env = new StreamEnvironment(1);
  const limits = env.fromCollection<[string, number]>([]).broadcast(LIMITS);
  let opened = 0;
  const out = env.fromCollection<Reading>([]).connect(limits).process<string>(fn ?? {
    open() { opened++; },
    processElement(r, ctx, out) {
      const limit = ctx.getBroadcastState(LIMITS).get(r.sensor);
      if (limit === undefined) out.collect(`unknown:${r.sensor}`);
      else if (r.value > limit) out.collect(`over:${r.sensor}:${r.value}@${ctx.timestamp}`);
    },
    processBroadcastElement([sensor, limit], ctx) {
      ctx.getBroadcastState(LIMITS).put(sensor, limit);
    },
  });
  const h = instantiate<Reading, string>(env, out, { checkpointing: true, stateFastPaths });
  const op = h.op as unknown as BroadcastProcessOperator<Reading, [string, number], string>;
  op.open();
  if (fn === undefined) assert.equal(opened, 1);
  return { h, op };
}

test('broadcast records write the state plain records read', () => {
  const { h, op } = build();
  h.push({ sensor: 'a', value: 5 }, 10);
  h.push2(['a', 3]);
  h.push({ sensor: 'a', value: 5 }, 11);
  h.push({ sensor: 'a', value: 2 }, 12);
  assert.deepEqual(h.out.values(), ['unknown:a', 'over:a:5@11']);
  assert.deepEqual(op.broadcastEntries('limits'), [['a', 3]]);
});

// Packed at the barrier (stateFastPaths), or cloned there (off): restored whichever way the restoring job runs.
for (const stateFastPaths of [true, false]) {
  test(`broadcast state is snapshotted as broadcast operator state and restored (${stateFastPaths ? 'packed' : 'cloned'})`, () => {
    const { h, op } = build(undefined, stateFastPaths);
    h.push2(['a', 3]);
    const snap = op.snapshotState();
    assert.equal(snap.redistribute, 'broadcast');
    assert.deepEqual(broadcastItemEntries(snap.operator!), [['limits', 'a', 3]]);
    assert.equal(Array.isArray(snap.operator![0]), !stateFastPaths, 'format 1: [state, key, value] items');
    assert.equal(snap.keyed, undefined, 'no keyed state');
    for (const restoring of [true, false]) {
      const again = build(undefined, restoring);
      again.op.restoreState({ keyed: [], operator: throughChunk(snap.operator!) });
      again.h.push({ sensor: 'a', value: 4 }, 1);
      assert.deepEqual(again.h.out.values(), ['over:a:4@1']);
    }
    assert.equal(h.out.values().length, 0);
  });
}

test('the plain side cannot write broadcast state; a throwing function names the operator', () => {
  const { h } = build({
    processElement(_r, ctx) {
      assert.equal((ctx.getBroadcastState(LIMITS) as unknown as { put?: unknown }).put, undefined, 'read-only view');
      throw new Error('boom');
    },
    processBroadcastElement() {},
  });
  assert.throws(() => h.push({ sensor: 'a', value: 1 }), (e: Error) => e.name === 'OperatorError' && /boom/.test(e.message));
});

test('at the head of a task (the gate merged the inputs) watermarks and the end pass straight through', () => {
  const { h } = build();
  h.watermark(5);
  assert.deepEqual(h.out.watermarks, [5]);
  h.finish();
  assert.equal(h.out.finished, true);
});

test('chained behind a source: the watermark is the minimum of both inputs, and the end waits for both', () => {
  const { h, op } = build();
  op.mergeInputs();
  // As the chain's timestamps operator does: it writes its own watermark into the context, then calls down.
  h.ctx.watermark = 10;
  op.watermark(10);
  assert.deepEqual(h.out.watermarks, [], 'the broadcast input has no watermark yet');
  assert.equal(h.ctx.watermark, MIN_WATERMARK, 'the merged watermark from here on down, not the source\'s');
  assert.equal(op.currentWatermark(), MIN_WATERMARK);
  op.input2.watermark(4);
  assert.deepEqual(h.out.watermarks, [4]);
  assert.equal(h.ctx.watermark, 4, 'the task\'s watermark from here on down the chain');
  op.input2.watermark(20);
  assert.deepEqual(h.out.watermarks, [4, 10]);
  // An idle broadcast input does not hold event time back.
  op.input2.idle(true);
  op.watermark(30);
  assert.deepEqual(h.out.watermarks, [4, 10, 30]);
  op.input2.idle(false);
  h.ctx.watermark = MAX_WATERMARK;
  op.watermark(MAX_WATERMARK);
  assert.equal(h.ctx.watermark, h.out.watermarks.at(-1), 'the task\'s watermark is the one sent on');
  op.finish();
  assert.equal(h.out.finished, false, 'the broadcast input is still open');
  op.input2.finish();
  assert.equal(h.out.finished, true);
  assert.equal(h.out.watermarks.at(-1), MAX_WATERMARK);
});

test('the broadcast side sees each record\'s own timestamp, and what it emits carries it', () => {
  const seen: (number | undefined)[] = [];
  const { h } = build({
    processElement() {},
    processBroadcastElement(_l, ctx, out) { seen.push(ctx.timestamp); out.collect(`at ${ctx.timestamp}`); },
  });
  h.push2(['a', 1], 5);
  h.push2(['b', 2], 9);
  h.push2(['c', 3]);
  assert.deepEqual(seen, [5, 9, undefined]);
  assert.deepEqual(h.out.records.map((r) => r.ts), [5, 9, NaN]);
});

test('chained: when the source ends first, event time stays at the broadcast input\'s until it ends too', () => {
  const { h, op } = build();
  op.mergeInputs();
  op.input2.watermark(50);
  h.ctx.watermark = MAX_WATERMARK;
  op.watermark(MAX_WATERMARK);
  op.finish();
  assert.deepEqual(h.out.watermarks, [50]);
  assert.equal(h.ctx.watermark, 50);
  assert.equal(op.currentWatermark(), 50);
  assert.equal(h.out.finished, false);
  op.input2.watermark(MAX_WATERMARK);
  op.input2.finish();
  assert.deepEqual(h.out.watermarks, [50, MAX_WATERMARK]);
  assert.equal(h.out.finished, true);
});

// Regression: the snapshot held the live values; a snapshot leaves the thread only when the checkpoint
// completes here, and with unaligned checkpoints records go on being processed until then, so a value changed in
// place afterwards reached the checkpoint (and its record, replayed from the channel state, applied twice).
// Packed at the barrier (stateFastPaths), or structured clones taken there (off): a copy either way, beside the
// function's own state too.
for (const stateFastPaths of [true, false]) {
  for (const own of [false, true]) {
    test(`a broadcast state snapshot is a copy taken at the barrier: later in-place changes do not reach it (${stateFastPaths ? 'packed' : 'cloned'}${own ? ', beside own state' : ''})`, () => {
      const RULES = new MapStateDescriptor<string, string[]>('rules');
      const env = new StreamEnvironment(1);
      const rules = env.fromCollection<string>([]).broadcast(RULES);
      const out = env.fromCollection<string>([]).connect(rules).process<string>({
        processElement() {},
        processBroadcastElement(r, ctx) {
          const s = ctx.getBroadcastState(RULES);
          const list = s.get('all') ?? [];
          list.push(r);
          s.put('all', list);
        },
        ...(own ? { snapshotState: () => 'mine' } : {}),
      });
      const h = instantiate<string, string>(env, out, { checkpointing: true, stateFastPaths });
      const op = h.op as unknown as BroadcastProcessOperator<string, string, string>;
      op.open();
      h.push2('r1');
      const snap = op.snapshotState();
      h.push2('r2');
      const items = own ? (snap.operator![0] as OwnStateItem).broadcast : snap.operator!;
      assert.deepEqual(broadcastItemEntries(items), [['rules', 'all', ['r1']]]);
      assert.deepEqual(op.broadcastEntries('rules'), [['all', ['r1', 'r2']]]);
    });
  }
}

test('broadcast state msgpack cannot keep fails the job naming the operator and the state, which no restart retries (either way)', () => {
  const RULES = new MapStateDescriptor<string, unknown>('rules');
  for (const stateFastPaths of [true, false]) {
    for (const own of [false, true]) {
      const env = new StreamEnvironment(1);
      const rules = env.fromCollection<string>([]).broadcast(RULES);
      const out = env.fromCollection<string>([]).connect(rules).process<string>({
        processElement() {},
        processBroadcastElement(r, ctx) { ctx.getBroadcastState(RULES).put(r, { check: () => true }); },
        ...(own ? { snapshotState: () => 'mine' } : {}),
      }).name('judge');
      const h = instantiate<string, string>(env, out, { checkpointing: true, stateFastPaths });
      h.push2('r1');
      let caught: Error | undefined;
      try { h.op.snapshotState(1, false); } catch (e) { caught = e as Error; }
      const what = `${stateFastPaths ? 'packed' : 'cloned'}${own ? ', beside own state' : ''}`;
      assert.equal(caught?.name, 'OperatorError', what);
      assert.match(caught!.message, /operator 'judge' \(subtask 0\) failed/, what);
      // Structured clone refused it too, saying less.
      if (stateFastPaths) {
        assert.match(caught!.message, /broadcast state 'rules' holds a function, which a checkpoint cannot keep/, what);
        assert.equal(permanent(caught!), true, what);
      }
    }
  }
});

// ---- onWatermark and the function's own state (snapshotState / restoreState)

/** Counts readings per instance (its own state) and emits the count at each watermark. */
function counting(log: string[] = []): BroadcastProcessFunction<Reading, [string, number], string> {
  let count = 0;
  return {
    processElement() { count++; },
    processBroadcastElement([sensor, limit], ctx) { ctx.getBroadcastState(LIMITS).put(sensor, limit); },
    onWatermark(wm, ctx, out) {
      log.push(`wm:${wm}:${ctx.currentWatermark()}`);
      out.collect(`count:${count}`);
    },
    snapshotState() { return { count }; },
    restoreState(states, ctx) {
      log.push(`restore:${ctx.subtask}/${ctx.parallelism}:${JSON.stringify(states)}`);
      count = states.reduce((n: number, s) => n + ((s as { count: number } | undefined)?.count ?? 0), 0);
    },
  };
}

test('onWatermark runs once per rise of event time, before the watermark goes on, and what it emits carries the watermark', () => {
  const log: string[] = [];
  const { h } = build(counting(log));
  h.push({ sensor: 'a', value: 1 }, 3);
  h.watermark(5);
  h.watermark(5);
  h.watermark(4);
  h.push({ sensor: 'a', value: 1 }, 7);
  h.watermark(9);
  assert.deepEqual(h.out.records, [{ value: 'count:1', ts: 5 }, { value: 'count:2', ts: 9 }]);
  assert.deepEqual(h.out.watermarks, [5, 5, 4, 9], 'every watermark still passes on');
  assert.deepEqual(log.filter((l) => l.startsWith('wm:')).map((l) => l.split(':')[1]), ['5', '9']);
});

test('chained: onWatermark sees the merged event time, the final one included when both inputs end', () => {
  const log: string[] = [];
  const { h, op } = build(counting(log));
  op.mergeInputs();
  h.ctx.watermark = 10;
  op.watermark(10);
  assert.deepEqual(log, [], 'no merged watermark yet: the broadcast input has sent none');
  op.input2.watermark(4);
  assert.deepEqual(log, ['wm:4:4']);
  op.input2.watermark(MAX_WATERMARK);
  op.input2.finish();
  h.ctx.watermark = MAX_WATERMARK;
  op.watermark(MAX_WATERMARK);
  op.finish();
  assert.deepEqual(log, ['wm:4:4', 'wm:10:10', `wm:${MAX_WATERMARK}:${MAX_WATERMARK}`]);
  assert.equal(h.out.finished, true);
  assert.deepEqual(h.out.values(), ['count:0', 'count:0', 'count:0']);
});

test('a function with its own state: snapshotted beside the broadcast state as union operator state, restored to each instance whole', () => {
  const { h, op } = build(counting());
  h.push2(['a', 3]);
  h.push({ sensor: 'a', value: 1 }, 1);
  h.push({ sensor: 'a', value: 1 }, 2);
  const snap = op.snapshotState();
  assert.equal(snap.redistribute, 'union');
  assert.equal(snap.operator!.length, 1);
  const log: string[] = [];
  const again = build(counting(log));
  // As restore.ts deals 'union' parts: every old instance's items to each new one (here one instance of one).
  again.op.restoreState({ keyed: [], operator: snap.operator! });
  assert.deepEqual(log, ['restore:0/1:[{"count":2}]']);
  assert.deepEqual(again.op.broadcastEntries('limits'), [['a', 3]], 'the broadcast state comes back too');
  again.h.watermark(1);
  assert.deepEqual(again.h.out.values(), ['count:2']);
});

test('restored at another parallelism: every instance gets every old instance\'s state; broadcast state from its namesake, or 0\'s when scaled out', () => {
  const items = [0, 1].map((s) => ({ __sluiceOwnState: 1, subtask: s, parallelism: 2, broadcast: [['limits', 'a', 10 + s]], own: { count: s + 1 } }));
  const log: string[] = [];
  const one = build(counting(log));
  one.op.restoreState({ keyed: [], operator: items });
  assert.deepEqual(log, ['restore:0/1:[{"count":1},{"count":2}]']);
  assert.deepEqual(one.op.broadcastEntries('limits'), [['a', 10]]);
  one.h.watermark(1);
  assert.deepEqual(one.h.out.values(), ['count:3']);
});

for (const stateFastPaths of [true, false]) {
  test(`restored at another parallelism from real snapshots (${stateFastPaths ? 'packed' : 'cloned'}): broadcast state from its namesake, or 0's when scaled out`, () => {
    const items = [0, 1].flatMap((subtask) => {
      const env = new StreamEnvironment(1);
      const limits = env.fromCollection<[string, number]>([]).broadcast(LIMITS);
      const h = instantiate<Reading, string>(env, env.fromCollection<Reading>([]).connect(limits).process<string>(counting()), { checkpointing: true, stateFastPaths, subtask, parallelism: 2 });
      h.push2(['a', 10 + subtask]);
      return throughChunk((h.op as unknown as BroadcastProcessOperator<Reading, [string, number], string>).snapshotState().operator!);
    });
    for (const [subtask, parallelism, from] of [[1, 2, 1], [0, 1, 0], [2, 3, 0]] as const) {
      const env = new StreamEnvironment(1);
      const limits = env.fromCollection<[string, number]>([]).broadcast(LIMITS);
      const log: string[] = [];
      const h = instantiate<Reading, string>(env, env.fromCollection<Reading>([]).connect(limits).process<string>(counting(log)), { checkpointing: true, subtask, parallelism });
      const op = h.op as unknown as BroadcastProcessOperator<Reading, [string, number], string>;
      op.restoreState({ keyed: [], operator: items });
      assert.deepEqual(op.broadcastEntries('limits'), [['a', 10 + from]], `subtask ${subtask} of ${parallelism}`);
      assert.deepEqual(log, [`restore:${subtask}/${parallelism}:[{"count":0},{"count":0}]`]);
    }
  });
}

test('a checkpoint written before the function kept state of its own restores its broadcast state, and restoreState is not called', () => {
  const { h, op } = build();
  h.push2(['a', 3]);
  const log: string[] = [];
  const again = build(counting(log));
  again.op.restoreState({ keyed: [], operator: op.snapshotState().operator! });
  assert.deepEqual(again.op.broadcastEntries('limits'), [['a', 3]]);
  assert.deepEqual(log, []);
});

test('a throwing onWatermark, snapshotState or restoreState fails naming the operator', () => {
  const fns = (which: string): BroadcastProcessFunction<Reading, [string, number], string> => ({
    processElement() {},
    processBroadcastElement() {},
    onWatermark() { if (which === 'wm') throw new Error('wm boom'); },
    snapshotState() { if (which === 'snap') throw new Error('snap boom'); return 1; },
    restoreState() { if (which === 'restore') throw new Error('restore boom'); },
  });
  const isOpError = (re: RegExp) => (e: Error) => e.name === 'OperatorError' && re.test(e.message);
  assert.throws(() => build(fns('wm')).h.watermark(1), isOpError(/wm boom/));
  assert.throws(() => build(fns('snap')).op.snapshotState(), isOpError(/snap boom/));
  const snap = build(fns('none')).op.snapshotState();
  assert.throws(() => build(fns('restore')).op.restoreState({ keyed: [], operator: snap.operator! }), isOpError(/restore boom/));
});

// Regression: the broadcast side called the user's shared object, not the subtask's own instance, so what open()
// kept on `this` was missing there (a TypeError), and two subtasks on one thread would have shared it.
test('the broadcast side calls the subtask\'s own instance: what open() keeps on this is there', () => {
  interface Own { seen?: string[] }
  const shared: BroadcastProcessFunction<Reading, [string, number], string> & Own = {
    open(this: Own) { this.seen = []; },
    processElement(this: Own, r, _ctx, out) { out.collect(`${r.sensor}:${this.seen!.join(',')}`); },
    processBroadcastElement(this: Own, [sensor]) { this.seen!.push(sensor); },
  };
  const { h } = build(shared);
  h.push2(['a', 1]);
  h.push({ sensor: 'x', value: 0 }, 1);
  assert.deepEqual(h.out.values(), ['x:a']);
  assert.equal(shared.seen, undefined, 'the shared object is untouched');
});

// Regression (review): snapshotState's value was kept by reference until the checkpoint was sent, so with unaligned
// checkpoints records after the barrier reached it (duplicated after a restore).
// Packed at the barrier (stateFastPaths), or a structured clone taken there (off): a copy either way.
for (const stateFastPaths of [true, false]) {
  test(`the own state is a copy taken at the barrier: changes after it do not reach the snapshot (${stateFastPaths ? 'packed' : 'cloned'})`, () => {
    let held = [1, 2];
    const { op } = build({
      processElement() {},
      processBroadcastElement() {},
      snapshotState() { return held; },
    }, stateFastPaths);
    const snap = op.snapshotState();
    held.push(3);
    held = [9];
    const item = snap.operator![0] as OwnStateItem;
    assert.equal(item.own instanceof Uint8Array, stateFastPaths);
    assert.deepEqual(ownStateOf(item), [1, 2]);
  });
}

// Regression (review): the onWatermark clock started over after a restore, so an instance that had ended was called
// with MAX_WATERMARK again (its end-of-input output twice), and a re-sent watermark was handled twice.
test('a restore keeps onWatermark\'s clock: no call again for event time it had seen, an ended instance none at all', () => {
  const log: string[] = [];
  const { h, op } = build(counting(log));
  h.watermark(50);
  const at50 = op.snapshotState();
  h.watermark(MAX_WATERMARK);
  const ended = op.snapshotState();

  const again = build(counting(log));
  again.op.restoreState({ keyed: [], operator: at50.operator! });
  log.length = 0;
  again.h.watermark(40);
  again.h.watermark(50);
  again.h.watermark(60);
  assert.deepEqual(log, ['wm:60:60']);

  const third = build(counting(log));
  third.op.restoreState({ keyed: [], operator: ended.operator! });
  log.length = 0;
  third.h.watermark(MAX_WATERMARK);
  assert.deepEqual(log, [], 'an instance restored after its end does not run its end again');
});

test('a function with onWatermark but no snapshotState still keeps its clock in checkpoints', () => {
  const log: string[] = [];
  const fn = (): BroadcastProcessFunction<Reading, [string, number], string> => ({
    processElement() {},
    processBroadcastElement() {},
    onWatermark(wm) { log.push(String(wm)); },
  });
  const { h, op } = build(fn());
  h.watermark(7);
  const snap = op.snapshotState();
  assert.equal(snap.redistribute, 'union');
  const again = build(fn());
  again.op.restoreState({ keyed: [], operator: snap.operator! });
  again.h.watermark(7);
  again.h.watermark(8);
  assert.deepEqual(log, ['7', '8']);
});

// Regression (review): a restoreState refusing a rescale (as the docs advise) threw a plain error, and the job
// restarted into the same refusal until its strategy gave up.
test('a restoreState that throws is a RestoreRefusedError, which no restart retries', () => {
  const snap = build(counting()).op.snapshotState();
  const refusing = build({
    processElement() {},
    processBroadcastElement() {},
    restoreState() { throw new Error('restore it at parallelism 2'); },
  });
  let caught: Error | undefined;
  try { refusing.op.restoreState({ keyed: [], operator: snap.operator! }); } catch (e) { caught = e as Error; }
  assert.equal(caught?.name, 'OperatorError');
  assert.equal((caught!.cause as Error).name, 'RestoreRefusedError');
  assert.match(caught!.message, /restoreState of '.*' refused its state: restore it at parallelism 2/);
  assert.equal(permanent(caught!), true);
});

// ---- a broadcast input with no broadcast state: `rules.broadcast()`, no descriptor

/** Over `rules.broadcast()`: each instance keeps the limits it is sent in its own state, or asks for broadcast state. */
function buildStateless(fn: BroadcastProcessFunction<Reading, [string, number], string>) {
  const env = new StreamEnvironment(1);
  const limits = env.fromCollection<[string, number]>([]).broadcast();
  const out = env.fromCollection<Reading>([]).connect(limits).process<string>(fn).name('judge');
  const h = instantiate<Reading, string>(env, out, { checkpointing: true });
  const op = h.op as unknown as BroadcastProcessOperator<Reading, [string, number], string>;
  op.open();
  return { h, op, node: out.node };
}

function ownLimits(log: string[] = []): BroadcastProcessFunction<Reading, [string, number], string> {
  let limits = new Map<string, number>();
  return {
    processElement(r, _ctx, out) {
      const limit = limits.get(r.sensor);
      out.collect(limit === undefined ? `unknown:${r.sensor}` : r.value > limit ? `over:${r.sensor}` : `ok:${r.sensor}`);
    },
    processBroadcastElement([sensor, limit]) { limits.set(sensor, limit); },
    snapshotState() { return limits; },
    restoreState(states, ctx) {
      log.push(`restore:${ctx.subtask}/${ctx.parallelism}:${states.length}`);
      limits = new Map(states[ctx.subtask] as Map<string, number>);
    },
  };
}

test('broadcast() with no descriptor: the operator has no broadcast state, and the function keeps what the broadcast records say itself', () => {
  const { h, op, node } = buildStateless(ownLimits());
  assert.deepEqual(node.spec, { kind: 'broadcastProcess', states: [] });
  assert.equal(node.specFingerprint, 'broadcast()');
  h.push({ sensor: 'a', value: 5 }, 1);
  h.push2(['a', 3]);
  h.push({ sensor: 'a', value: 5 }, 2);
  h.push({ sensor: 'a', value: 2 }, 3);
  assert.deepEqual(h.out.values(), ['unknown:a', 'over:a', 'ok:a']);
  const snap = op.snapshotState();
  assert.equal(snap.redistribute, 'union');
  assert.deepEqual((snap.operator![0] as { broadcast: unknown[] }).broadcast, [], 'no broadcast items beside the own state');
  const log: string[] = [];
  const again = buildStateless(ownLimits(log));
  again.op.restoreState({ keyed: [], operator: snap.operator! });
  assert.deepEqual(log, ['restore:0/1:1']);
  again.h.push({ sensor: 'a', value: 4 }, 4);
  assert.deepEqual(again.h.out.values(), ['over:a']);
});

test('broadcast() with no descriptor and no state of its own: an empty broadcast snapshot, which restores to nothing', () => {
  const fn: BroadcastProcessFunction<Reading, [string, number], string> = {
    processElement(r, _ctx, out) { out.collect(r.sensor); },
    processBroadcastElement([sensor], _ctx, out) { out.collect(`rule:${sensor}`); },
  };
  const { h, op } = buildStateless(fn);
  h.push2(['a', 3]);
  const snap = op.snapshotState();
  assert.deepEqual(snap, { operator: [], redistribute: 'broadcast' });
  const again = buildStateless(fn);
  again.op.restoreState({ keyed: [], operator: snap.operator! });
  again.h.push({ sensor: 'b', value: 1 }, 1);
  assert.deepEqual(again.h.out.values(), ['b']);
});

test('broadcast() with no descriptor: getBroadcastState from either input fails the job naming the operator, whatever its error policy', () => {
  const D = new MapStateDescriptor<string, number>('limits');
  for (const side of [1, 2] as const) {
    const env = new StreamEnvironment(1);
    const limits = env.fromCollection<[string, number]>([]).broadcast();
    const out = env.fromCollection<Reading>([]).connect(limits).process<string>({
      processElement(_r, ctx) { ctx.getBroadcastState(D).get('a'); },
      processBroadcastElement(_l, ctx) { ctx.getBroadcastState(D).put('a', 1); },
    }).name('judge').onError('drop');
    const h = instantiate<Reading, string>(env, out, { checkpointing: true });
    const push = () => (side === 1 ? h.push({ sensor: 'a', value: 1 }) : h.push2(['a', 1]));
    assert.throws(push, (e: Error) => e.name === 'OperatorError'
      && /operator 'judge' has no broadcast state \(its broadcast input is broadcast\(\) with no descriptors\): getBroadcastState\('limits'\) needs its descriptor passed to broadcast\(\.\.\.\)/.test(e.message), `input ${side}`);
  }
});
