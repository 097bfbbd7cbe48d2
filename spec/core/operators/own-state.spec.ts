// A plain broadcast process function's own state in a checkpoint: packed once at the barrier (format 2), or a
// structured clone taken there with stateFastPaths off (format 1, what every checkpoint held before); either goes
// through the chunk a checkpoint writes and comes back the same, and a chunk written by the format-1 code restores.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { MapStateDescriptor, StreamEnvironment, type BroadcastProcessFunction } from '../../../core/index.js';
import type { BroadcastProcessOperator } from '../../../core/operators/broadcast-process.js';
import { OWN_STATE, OWN_STATE_CLONED, OWN_STATE_PACKED, packOwnState, type OwnStateItem } from '../../../core/operators/own-state.js';
import { chunkPackr } from '../../../core/checkpoint/chunk-packr.js';
import { permanent } from '../../../core/runtime/permanent-error.js';
import { instantiate } from '../windows/harness.js';

const LIMITS = new MapStateDescriptor<string, number>('limits');

/** An operator over `fn`, subtask `subtask` of `parallelism`. */
function build(fn: BroadcastProcessFunction<string, [string, number], string>, o: { stateFastPaths?: boolean; subtask?: number; parallelism?: number } = {}) {
  const env = new StreamEnvironment(1);
  const limits = env.fromCollection<[string, number]>([]).broadcast(LIMITS);
  const out = env.fromCollection<string>([]).connect(limits).process<string>(fn).name('judge');
  const h = instantiate<string, string>(env, out, { checkpointing: true, ...o });
  return { h, op: h.op as unknown as BroadcastProcessOperator<string, [string, number], string> };
}

/** Keeps what snapshotState returns, and records what restoreState is given. */
function keeping(state: () => unknown, restored: unknown[][] = []): BroadcastProcessFunction<string, [string, number], string> {
  return {
    processElement() {},
    processBroadcastElement([k, v], ctx) { ctx.getBroadcastState(LIMITS).put(k, v); },
    snapshotState: state,
    restoreState(states) { restored.push([...states]); },
  };
}

/** As the coordinator writes a subtask's non-keyed items to a chunk and restore.ts reads them back. */
const throughChunk = (items: unknown[]): unknown[] => chunkPackr().unpack(chunkPackr().pack(items)) as unknown[];

const rich = () => ({
  held: new Map<number, { sensor: string; at: Date }>([[1, { sensor: 'a', at: new Date(5) }], [2, { sensor: 'b', at: new Date(6) }]]),
  seen: new Set(['a', 'b']), total: 12345678901234567890n, bytes: new Float64Array([1.5, -0.25]), nested: [[1, [2, [3]]], { deep: { er: null } }],
});

for (const stateFastPaths of [true, false]) {
  test(`own state through a checkpoint chunk comes back the same (${stateFastPaths ? 'packed at the barrier, format 2' : 'cloned at the barrier, format 1'})`, () => {
    const { h, op } = build(keeping(rich), { stateFastPaths });
    h.push2(['a', 3]);
    const item = op.snapshotState().operator![0] as OwnStateItem;
    assert.equal(item[OWN_STATE], stateFastPaths ? OWN_STATE_PACKED : OWN_STATE_CLONED);
    const restored: unknown[][] = [];
    // Restored either way, whichever way the restoring job runs.
    for (const restoring of [true, false]) {
      const again = build(keeping(rich, restored), { stateFastPaths: restoring });
      again.op.restoreState({ keyed: [], operator: throughChunk([item]) });
      assert.deepEqual(again.op.broadcastEntries('limits'), [['a', 3]]);
    }
    assert.deepEqual(restored, [[rich()], [rich()]]);
    assert.notEqual(restored[0]![0], restored[1]![0], 'each restore gets a value of its own');
  });
}

// Written at bbae061c (before this format): a subtask's own-state chunk from each of two subtasks, as the coordinator
// wrote them. The own state: { held: Map(1 => { sensor: 'a', at: Date(5) }, 2 => { sensor: 'b', at: Date(6) }),
// seen: Set('a', 'b'), total: 12345678901234567890n, note: 'format 1', lastLimit } with lastLimit the limit the
// subtask was sent (3, 4), its broadcast state limits a = lastLimit, its onWatermark clock at 40 + subtask.
test('a checkpoint chunk written before the own state was packed (format 1) restores: states by subtask, broadcast state and clock', () => {
  const chunks = [0, 1].map((s) => chunkPackr().unpack(readFileSync(new URL(`./fixtures/own-state-format-1.${s}.msgpack`, import.meta.url))) as unknown[]);
  const items = chunks.flat();
  assert.deepEqual(items.map((i) => (i as OwnStateItem)[OWN_STATE]), [1, 1]);
  const own = (lastLimit: number) => ({
    held: new Map([[1, { sensor: 'a', at: new Date(5) }], [2, { sensor: 'b', at: new Date(6) }]]), seen: new Set(['a', 'b']), total: 12345678901234567890n, note: 'format 1', lastLimit,
  });
  for (const subtask of [0, 1]) {
    const restored: unknown[][] = [];
    const seen: number[] = [];
    const fn: BroadcastProcessFunction<string, [string, number], string> = { ...keeping(() => undefined, restored), onWatermark(wm) { seen.push(wm); } };
    const { h, op } = build(fn, { subtask, parallelism: 2 });
    op.restoreState({ keyed: [], operator: items });
    assert.deepEqual(restored, [[own(3), own(4)]], `subtask ${subtask}: every old instance's state, by its subtask`);
    assert.deepEqual(op.broadcastEntries('limits'), [['a', 3 + subtask]], 'its namesake\'s broadcast state');
    h.watermark(40 + subtask);
    h.watermark(50);
    assert.deepEqual(seen, [50], 'its namesake\'s onWatermark clock');
  }
});

// Written at d55f5c81 (own state packed, broadcast state not yet): each of two subtasks' chunk, as the coordinator
// wrote them. Broadcast states limits (string => number) and rules (number => a rule with a Date, a Set, a Map, a
// bigint, a Float64Array and a null); each subtask was sent ['a', 3 + subtask] (limit a => 3 + subtask, rule
// 3 + subtask), its own state { note: 'own-state format 2', lastLimit: 3 + subtask }, its onWatermark clock at
// 40 + subtask.
test('a checkpoint chunk with packed own state and [state, key, value] broadcast items restores: states by subtask, broadcast state and clock, rescaled too', () => {
  const items = [0, 1].flatMap((s) => chunkPackr().unpack(readFileSync(new URL(`./fixtures/own-state-format-2.${s}.msgpack`, import.meta.url))) as unknown[]);
  assert.deepEqual(items.map((i) => (i as OwnStateItem)[OWN_STATE]), [2, 2]);
  const rule = (v: number) => ({ name: `r${v}`, since: new Date(1000 + v), sensors: new Set(['a', 'b']), weights: new Map([['a', 0.5], ['b', 2]]), big: 12345678901234567890n, samples: new Float64Array([1.5, -0.25]), off: null });
  const own = (lastLimit: number) => ({ note: 'own-state format 2', lastLimit });
  const RULES = new MapStateDescriptor<number, unknown>('rules');
  // At parallelism 2 each subtask takes its namesake's broadcast state; at 1 old 0's; scaled out to 3, old 0's.
  for (const [subtask, parallelism, from] of [[0, 2, 0], [1, 2, 1], [0, 1, 0], [2, 3, 0]] as const) {
    const restored: unknown[][] = [];
    const seen: number[] = [];
    const env = new StreamEnvironment(1);
    const b = env.fromCollection<[string, number]>([]).broadcast(LIMITS, RULES);
    const fn: BroadcastProcessFunction<string, [string, number], string> = { ...keeping(() => undefined, restored), onWatermark(wm) { seen.push(wm); } };
    const h = instantiate<string, string>(env, env.fromCollection<string>([]).connect(b).process<string>(fn).name('judge'), { checkpointing: true, subtask, parallelism });
    const op = h.op as unknown as BroadcastProcessOperator<string, [string, number], string>;
    op.restoreState({ keyed: [], operator: items });
    const at = `subtask ${subtask} of ${parallelism}`;
    assert.deepEqual(restored, [[own(3), own(4)]], `${at}: every old instance's state, by its subtask`);
    assert.deepEqual([op.broadcastEntries('limits'), op.broadcastEntries('rules')], [[['a', 3 + from]], [[3 + from, rule(3 + from)]]], `${at}: old ${from}'s broadcast state`);
    for (const wm of [40, 41, 50]) h.watermark(wm);
    const clock = parallelism === 2 ? 40 + subtask : 40;
    assert.deepEqual(seen, [41, 50].filter((wm) => wm > clock), `${at}: its namesake's onWatermark clock (${clock}), or the lowest after a rescale`);
  }
});

test('packOwnState: an exact-size copy of its own (a view of msgpackr\'s shared buffer would carry the whole buffer across threads)', () => {
  const bytes = packOwnState({ a: [1, 2, 3] })!;
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.byteLength);
  assert.equal(packOwnState(undefined), undefined, 'no state, no bytes');
});

// Structured clone refused these at the barrier; msgpack writes a function as nothing and a WeakMap or a Promise as
// an empty object, so packed they would be lost without a word.
test('own state msgpack cannot keep is a JobDefinitionError naming the operator, which no restart retries', () => {
  const cases: [unknown, RegExp][] = [
    [{ onRule() {} }, /holds a function, which a checkpoint cannot keep/],
    [new Map([[1, { cache: new WeakMap() }]]), /holds a WeakMap, which a checkpoint cannot keep/],
    [[Promise.resolve(1)], /holds a Promise, which a checkpoint cannot keep/],
    [{ tag: Symbol('x') }, /cannot be written to a checkpoint \(Unknown type: symbol\)/],
    // Regression (review r2): these went through as empty records, and a restore got {} back.
    [new Map([[1, 'r']]).values(), /holds a Map Iterator, which a checkpoint cannot keep/],
    [{ rules: new Set([1]).entries() }, /holds a Set Iterator, which a checkpoint cannot keep/],
    [(function* g() { yield 1; })(), /holds a Generator, which a checkpoint cannot keep/],
    [{ r: new FinalizationRegistry(() => {}) }, /holds a FinalizationRegistry, which a checkpoint cannot keep/],
  ];
  for (const [value, message] of cases) {
    const { op } = build(keeping(() => value));
    let caught: Error | undefined;
    try { op.snapshotState(); } catch (e) { caught = e as Error; }
    assert.equal(caught?.name, 'OperatorError', String(message));
    assert.match(caught!.message, /operator 'judge' \(subtask 0\) failed: the state snapshotState returned /);
    assert.match(caught!.message, message);
    assert.equal(permanent(caught!), true);
    // Cloned at the barrier (stateFastPaths off), structured clone refuses them.
    assert.throws(() => build(keeping(() => value), { stateFastPaths: false }).op.snapshotState(), (e: Error) => e.name === 'OperatorError');
  }
});

// Regression (review r2): msgpackr writes an object with toJSON as what toJSON returns; the clone of format 1 kept
// its fields, so one function's state came back in two shapes depending on the format.
test('own state: a class instance with toJSON is kept as its fields, as the clone kept it', () => {
  class Money { constructor(readonly cents: number, readonly cur: string) {} toJSON(): string { return `${this.cents} ${this.cur}`; } }
  const value = { p: new Money(150, 'EUR'), when: new Date(5), ids: new Set([1, 2]), n: 7n };
  const restored = chunkPackr().unpack(packOwnState(value)!) as Record<string, unknown>;
  assert.deepEqual(restored, { p: { cents: 150, cur: 'EUR' }, when: new Date(5), ids: new Set([1, 2]), n: 7n });
});
