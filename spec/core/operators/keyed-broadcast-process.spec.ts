// The keyed broadcast process operator on this thread: broadcast records write broadcast state, keyed records
// read it; applyToKeyedState reaches every key; broadcast state is checkpointed as 'broadcast' operator state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JobDefinitionError, MapStateDescriptor, OperatorError, StreamEnvironment, type BroadcastContext, type Collector, type DataStream, type KeyedContext, type ValueState } from '../../../core/index.js';
import type { KeyedBroadcastProcessOperator } from '../../../core/operators/keyed-broadcast-process.js';
import { instantiate } from '../windows/harness.js';
import { broadcastItemEntries } from '../../../core/operators/broadcast-states.js';
import { chunkPackr } from '../../../core/checkpoint/chunk-packr.js';
import { permanent } from '../../../core/runtime/permanent-error.js';

/** As the coordinator writes a subtask's non-keyed items to a chunk and restore.ts reads them back. */
const throughChunk = (items: unknown[]): unknown[] => chunkPackr().unpack(chunkPackr().pack(items)) as unknown[];

interface Tx { account: string; amount: number }
interface Rule { id: string; over: number }
const RULES = new MapStateDescriptor<string, Rule>('rules');

function build(stateFastPaths = true) {
  const env = new StreamEnvironment(1);
  const txs = env.fromCollection<Tx>([]);
  const rules = env.fromCollection<Rule>([]).broadcast(RULES);
  let opened = 0;
  const out: DataStream<string> = txs.keyBy((t) => t.account).connect(rules).process<string>({
    open() { opened++; },
    processElement(tx, ctx, out) {
      for (const r of ctx.getBroadcastState(RULES).values()) if (tx.amount > r.over) out.collect(`${r.id}:${ctx.key}:${tx.amount}`);
      ctx.listState<Tx>('seen').add(tx);
    },
    processBroadcastElement(rule, ctx, out) {
      ctx.getBroadcastState(RULES).put(rule.id, rule);
      // Transactions that arrived before the rule are checked now: alerts do not depend on arrival order.
      ctx.applyToKeyedState<string>('seen', (account, state) => {
        for (const tx of state.listState<Tx>('seen').get()) if (tx.amount > rule.over) out.collect(`${rule.id}:${account}:${tx.amount}`);
      });
    },
  });
  const h = instantiate<Tx, string>(env, out, { checkpointing: true, stateFastPaths });
  const op = h.op as unknown as KeyedBroadcastProcessOperator<string, Tx, Rule, string>;
  op.open();
  assert.equal(opened, 1);
  return { h, op };
}

test('broadcast records write the state every keyed record reads; earlier records are checked through applyToKeyedState', () => {
  const { h, op } = build();
  h.push({ account: 'x', amount: 50 });
  h.push({ account: 'y', amount: 500 });
  h.push2({ id: 'big', over: 100 });
  h.push({ account: 'x', amount: 150 });
  h.push2({ id: 'huge', over: 400 });
  assert.deepEqual(h.out.values().sort(), ['big:x:150', 'big:y:500', 'huge:y:500']);
  assert.deepEqual(op.broadcastEntries('rules'), [['big', { id: 'big', over: 100 }], ['huge', { id: 'huge', over: 400 }]]);
});

// Packed at the barrier (stateFastPaths), or cloned there (off): restored whichever way the restoring job runs.
for (const stateFastPaths of [true, false]) {
  test(`broadcast state is snapshotted as broadcast operator state and restored (${stateFastPaths ? 'packed' : 'cloned'})`, () => {
    const { h, op } = build(stateFastPaths);
    h.push2({ id: 'big', over: 100 });
    h.push({ account: 'x', amount: 150 });
    const snap = op.snapshotState(1);
    assert.equal(snap.redistribute, 'broadcast');
    assert.deepEqual(broadcastItemEntries(snap.operator!), [['rules', 'big', { id: 'big', over: 100 }]]);
    assert.equal(Array.isArray(snap.operator![0]), !stateFastPaths, 'format 1: [state, key, value] items');
    for (const restoring of [true, false]) {
      const again = build(restoring);
      again.op.restoreState({ keyed: snap.keyed!, operator: throughChunk(snap.operator!) });
      again.h.push({ account: 'z', amount: 101 });
      assert.deepEqual(again.h.out.values(), ['big:z:101']);
      assert.equal(again.op.backend.sizeOf('seen'), 2, 'keyed state restored too (x from the checkpoint, and z)');
    }
  });

  // Regression twin of the plain operator's: with unaligned checkpoints records go on being processed until the
  // snapshot leaves the thread, and a rule changed in place then must not reach it.
  test(`a broadcast state snapshot is a copy taken at the barrier: later in-place changes do not reach it (${stateFastPaths ? 'packed' : 'cloned'})`, () => {
    const { h, op } = build(stateFastPaths);
    h.push2({ id: 'big', over: 100 });
    const snap = op.snapshotState(1);
    (op.broadcastEntries('rules')[0]![1] as Rule).over = 5;
    h.push2({ id: 'huge', over: 400 });
    assert.deepEqual(broadcastItemEntries(snap.operator!), [['rules', 'big', { id: 'big', over: 100 }]]);
    assert.deepEqual(op.broadcastEntries('rules'), [['big', { id: 'big', over: 5 }], ['huge', { id: 'huge', over: 400 }]]);
  });
}

test('broadcast state msgpack cannot keep fails the job naming the operator and the state, which no restart retries', () => {
  const env = new StreamEnvironment(1);
  const out = env.fromCollection<Tx>([]).keyBy((t) => t.account).connect(env.fromCollection<Rule>([]).broadcast(RULES)).process<string>({
    processElement() {},
    processBroadcastElement(rule, ctx) { ctx.getBroadcastState(RULES).put(rule.id, { ...rule, cache: new WeakMap() } as Rule); },
  }).name('rules-by-account');
  const h = instantiate<Tx, string>(env, out, { checkpointing: true });
  h.push2({ id: 'big', over: 100 });
  assert.throws(() => h.op.snapshotState(1, false), (e: Error) => e instanceof OperatorError && permanent(e)
    && /operator 'rules-by-account' \(subtask 0\) failed: broadcast state 'rules' holds a WeakMap, which a checkpoint cannot keep/.test(e.message));
});

test('the keyed side cannot write broadcast state, and undeclared states are a clear error', () => {
  const env = new StreamEnvironment(1);
  const other = new MapStateDescriptor<string, number>('other');
  const out = env.fromCollection<Tx>([]).keyBy((t) => t.account).connect(env.fromCollection<Rule>([]).broadcast(RULES)).process<string>({
    processElement(_tx, ctx) {
      const s = ctx.getBroadcastState(RULES) as unknown as { put?: unknown };
      assert.equal(s.put, undefined, 'read-only view');
      ctx.getBroadcastState(other);
    },
    processBroadcastElement() {},
  });
  const h = instantiate<Tx, string>(env, out);
  assert.throws(() => h.push({ account: 'x', amount: 1 }), /broadcast state 'other' was not declared/);
  assert.throws(() => env.fromCollection<Rule>([]).broadcast(RULES, RULES), JobDefinitionError);
});

test('tuple keys: processElement, onTimer and applyToKeyedState are handed the tuple', () => {
  const env = new StreamEnvironment(1);
  const txs = env.fromCollection<Tx>([]);
  const rules = env.fromCollection<Rule>([]).broadcast(RULES);
  const out: DataStream<string> = txs.keyBy((t) => [t.account, t.amount > 100]).connect(rules).process<string>({
    processElement(tx, ctx, out) {
      const [account, big] = ctx.key;
      out.collect(`element:${account}:${big}:${Object.isFrozen(ctx.key)}`);
      ctx.listState<Tx>('seen').add(tx);
      ctx.timerService.registerEventTimeTimer(10);
    },
    processBroadcastElement(rule, ctx, out) {
      ctx.applyToKeyedState('seen', (key, state) => out.collect(`${rule.id}:${JSON.stringify(key)}:${state.listState<Tx>('seen').get().length}`));
    },
    onTimer(_ts, ctx, out) { out.collect(`timer:${JSON.stringify(ctx.key)}`); },
  });
  const h = instantiate<Tx, string>(env, out);
  h.push({ account: 'x|true', amount: 50 });
  h.push({ account: 'x', amount: 150 });
  h.push({ account: 'x', amount: 200 });
  h.push2({ id: 'r', over: 0 });
  h.finish();
  assert.deepEqual(h.out.values().sort(), [
    'element:x:true:true', 'element:x:true:true', 'element:x|true:false:true',
    'r:["x",true]:2', 'r:["x|true",false]:1',
    'timer:["x",true]', 'timer:["x|true",false]',
  ]);
});

// Regression (a review): a value state handle kept from open() and written in processBroadcastElement wrote to the
// key of the last keyed record, silently (key 'a' counted the broadcast records; 'b' read 0).
test('keyed state through a handle in processBroadcastElement fails the job, naming the state and applyToKeyedState; applyToKeyedState still reaches every key', () => {
  const env = new StreamEnvironment(1);
  const txs = env.fromCollection<{ k: string }>([]);
  const rules = env.fromCollection<string>([]).broadcast(new MapStateDescriptor<string, number>('rules'));
  const fn = {
    n: undefined as ValueState<number> | undefined,
    open(ctx: KeyedContext<string>) { this.n = ctx.valueState<number>('n'); },
    processElement(_e: { k: string }, ctx: KeyedContext<string>, out: Collector<string>) {
      this.n!.update((this.n!.value() ?? 0) + 1);
      out.collect(`${ctx.key}=${this.n!.value()}`);
    },
    processBroadcastElement(r: string, ctx: BroadcastContext<string>) {
      if (r === 'each') ctx.applyToKeyedState<string>('n', (_k, state) => state.valueState<number>('n').update(100));
      else this.n!.update(-1);
    },
  };
  const out: DataStream<string> = txs.keyBy((t) => t.k).connect(rules).process<string>(fn);
  const h = instantiate<{ k: string }, string>(env, out, {});
  (h.op as unknown as KeyedBroadcastProcessOperator<string, { k: string }, string, string>).open();
  h.push({ k: 'a' });
  h.push2('each');
  h.push({ k: 'a' });
  h.push({ k: 'b' });
  assert.deepEqual(h.out.values(), ['a=1', 'a=101', 'b=1'], 'applyToKeyedState wrote every key; the keyed records set theirs again');
  assert.throws(() => h.push2('handle'), (e: unknown) => e instanceof OperatorError
    && /state 'n' read or written in processBroadcastElement, where no key is set \(a broadcast record has no key\): reach keyed state there through ctx\.applyToKeyedState/.test(e.message));
});

// A keyed stream connected to `rules.broadcast()` (no descriptor): keyed state and applyToKeyedState as ever, no
// broadcast state to snapshot, and getBroadcastState refused naming the operator.
test('keyed, over broadcast() with no descriptor: rules reach every key through applyToKeyedState; getBroadcastState fails the job naming the operator', () => {
  const env = new StreamEnvironment(1);
  const rules = env.fromCollection<Rule>([]).broadcast();
  const out: DataStream<string> = env.fromCollection<Tx>([]).keyBy((t) => t.account).connect(rules).process<string>({
    processElement(tx, ctx, out) {
      if (tx.amount < 0) ctx.getBroadcastState(RULES);
      ctx.valueState<number>('top').update(Math.max(tx.amount, ctx.valueState<number>('top').value() ?? 0));
      out.collect(`${ctx.key}:${tx.amount}`);
    },
    processBroadcastElement(rule, ctx, out) {
      ctx.applyToKeyedState<string>('top', (account, state) => {
        const top = state.valueState<number>('top').value()!;
        if (top > rule.over) out.collect(`${rule.id}:${account}:${top}`);
      });
    },
  }).name('rules-by-account');
  assert.deepEqual(out.node.spec, { kind: 'broadcastProcess', states: [] });
  const h = instantiate<Tx, string>(env, out, { checkpointing: true });
  const op = h.op as unknown as KeyedBroadcastProcessOperator<string, Tx, Rule, string>;
  op.open();
  h.push({ account: 'x', amount: 50 });
  h.push({ account: 'y', amount: 500 });
  h.push2({ id: 'big', over: 100 });
  assert.deepEqual(h.out.values(), ['x:50', 'y:500', 'big:y:500']);
  const snap = op.snapshotState(1);
  assert.equal(snap.redistribute, 'broadcast');
  assert.deepEqual(snap.operator, [], 'no broadcast state');
  assert.ok(snap.keyed!.length > 0, 'the keyed state is in it');
  assert.throws(() => h.push({ account: 'x', amount: -1 }), (e: Error) => e instanceof OperatorError && e.cause instanceof JobDefinitionError
    && /operator 'rules-by-account' has no broadcast state .*getBroadcastState\('rules'\)/.test(e.message));
});
