// Error policies of two-input operators on this thread: a keyed co-process, a keyed and a plain broadcast process,
// an interval join (user function on either input), and a window join and coGroup (their function when the window
// fires). 'fail' fails with an OperatorError naming the operator; 'drop' skips the record and counts it;
// 'dead-letter' sends it with the input it came in on. State a rejected record leaves: what a one-input operator's
// leaves (user state written before the throw stays; the operator's own buffers take nothing of it).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEAD_LETTERS, MapStateDescriptor, OperatorError, StreamEnvironment, TumblingEventTimeWindows,
  type DataStream, type DeadLetter, type ErrorPolicy,
} from '../../../core/index.js';
import type { Operator } from '../../../core/operators/operator.js';
import type { IntervalJoinOperator } from '../../../core/joins/interval-join-operator.js';
import type { WindowOperator } from '../../../core/windows/window-operator.js';
import { instantiate, Recorder, type Harness } from '../windows/harness.js';

interface E { k: string; v: number; bad?: true }

const POLICIES: readonly ErrorPolicy[] = ['fail', 'drop', 'dead-letter'];

function boom(e: E): void {
  if (e.bad) throw new Error(`bad ${e.k}/${e.v}`);
}

/** The operator `define` ends with, its policy set with onError and its dead letters recorded. */
function build<O>(policy: ErrorPolicy, define: (a: DataStream<E>, b: DataStream<E>, env: StreamEnvironment) => DataStream<O>): Harness<E, O> & { dead: Recorder<DeadLetter> } {
  const env = new StreamEnvironment(1);
  const out = define(env.fromCollection<E>([]), env.fromCollection<E>([]), env).name('two').onError(policy);
  const h = instantiate<E, O>(env, out);
  const dead = new Recorder<DeadLetter>(h.ctx);
  h.op.deadLetters = dead;
  (h.op as unknown as { open?(): void }).open?.();
  return { ...h, dead };
}

function counters(op: Operator<unknown, unknown>): { in: number; out: number; dropped: number; dead: number } {
  return { in: op.recordsIn, out: op.recordsOut, dropped: op.dropped, dead: op.deadLettered };
}

/** What the policy did with the records fed: fail threw, drop counted, dead-letter sent exactly `letters`. */
function expectRejected(policy: ErrorPolicy, h: { op: Operator<unknown, unknown>; dead: Recorder<DeadLetter> }, feed: () => void, letters: Partial<DeadLetter>[]): void {
  if (policy === 'fail') {
    assert.throws(feed, (e: unknown) => e instanceof OperatorError && e.operator === 'two' && /bad /.test(e.message));
    return;
  }
  feed();
  assert.equal(h.op.dropped, policy === 'drop' ? letters.length : 0);
  assert.equal(h.op.deadLettered, policy === 'dead-letter' ? letters.length : 0);
  if (policy === 'drop') { assert.deepEqual(h.dead.values(), []); return; }
  assert.deepEqual(h.dead.values().map((d) => ({ operator: d.operator, subtask: d.subtask, error: d.error, raw: d.raw, ...(d.input === undefined ? {} : { input: d.input }) })),
    letters.map((l) => ({ operator: 'two', subtask: 0, ...l })));
}

const err = (message: string): DeadLetter['error'] => ({ name: 'Error', message });

for (const policy of POLICIES) {
  test(`keyed co-process, '${policy}': a throw on either input; in = out + dropped + dead-lettered`, () => {
    const h = build<string>(policy, (a, b) => a.connect(b).keyBy((x) => x.k, (x) => x.k).process<string>({
      processElement1(x, _c, out) { boom(x); out.collect(`1:${x.v}`); },
      processElement2(x, _c, out) { boom(x); out.collect(`2:${x.v}`); },
    }));
    expectRejected(policy, h, () => {
      h.push({ k: 'a', v: 1 });
      h.push({ k: 'a', v: 2, bad: true });
      h.push2({ k: 'b', v: 3 });
      h.push2({ k: 'b', v: 4, bad: true });
      h.push({ k: 'a', v: 5 });
    }, [
      { error: err('bad a/2'), raw: { k: 'a', v: 2, bad: true }, input: 1 },
      { error: err('bad b/4'), raw: { k: 'b', v: 4, bad: true }, input: 2 },
    ]);
    if (policy === 'fail') return;
    assert.deepEqual(h.out.values(), ['1:1', '2:3', '1:5']);
    assert.deepEqual(counters(h.op), { in: 5, out: 3, dropped: policy === 'drop' ? 2 : 0, dead: policy === 'dead-letter' ? 2 : 0 });
  });

  test(`keyed broadcast process, '${policy}': a throw on the keyed and on the broadcast input`, () => {
    const RULES = new MapStateDescriptor<string, number>('rules');
    const h = build<string>(policy, (a, b) => a.keyBy((x) => x.k).connect(b.broadcast(RULES)).process<string>({
      processElement(x, ctx, out) { boom(x); out.collect(`${x.k}:${x.v}:${ctx.getBroadcastState(RULES).get(x.k) ?? '-'}`); },
      processBroadcastElement(x, ctx) { ctx.getBroadcastState(RULES).put(x.k, x.v); boom(x); },
    }));
    expectRejected(policy, h, () => {
      h.push2({ k: 'a', v: 10 });
      h.push2({ k: 'b', v: 20, bad: true });
      h.push({ k: 'a', v: 1 });
      h.push({ k: 'b', v: 2, bad: true });
      h.push({ k: 'b', v: 3 });
    }, [
      { error: err('bad b/20'), raw: { k: 'b', v: 20, bad: true }, input: 2 },
      { error: err('bad b/2'), raw: { k: 'b', v: 2, bad: true }, input: 1 },
    ]);
    if (policy === 'fail') return;
    // The broadcast state written before the throw stays, as a keyed process function's state does.
    assert.deepEqual(h.out.values(), ['a:1:10', 'b:3:20']);
    assert.deepEqual(counters(h.op), { in: 5, out: 2, dropped: policy === 'drop' ? 2 : 0, dead: policy === 'dead-letter' ? 2 : 0 });
  });

  test(`plain broadcast process, '${policy}': a throw on the plain and on the broadcast input`, () => {
    const RULES = new MapStateDescriptor<string, number>('rules');
    const h = build<string>(policy, (a, b) => a.connect(b.broadcast(RULES)).process<string>({
      processElement(x, ctx, out) { boom(x); out.collect(`${x.k}:${x.v}:${ctx.getBroadcastState(RULES).get(x.k) ?? '-'}`); },
      processBroadcastElement(x, ctx) { boom(x); ctx.getBroadcastState(RULES).put(x.k, x.v); },
    }));
    expectRejected(policy, h, () => {
      h.push2({ k: 'a', v: 10 });
      h.push2({ k: 'b', v: 20, bad: true });
      h.push({ k: 'a', v: 1, bad: true });
      h.push({ k: 'b', v: 2 });
    }, [
      { error: err('bad b/20'), raw: { k: 'b', v: 20, bad: true }, input: 2 },
      { error: err('bad a/1'), raw: { k: 'a', v: 1, bad: true }, input: 1 },
    ]);
    if (policy === 'fail') return;
    assert.deepEqual(h.out.values(), ['b:2:-']);
    assert.deepEqual(counters(h.op), { in: 4, out: 1, dropped: policy === 'drop' ? 2 : 0, dead: policy === 'dead-letter' ? 2 : 0 });
  });

  test(`interval join, '${policy}': a record whose join function throws is rejected, and kept for no later pair`, () => {
    const h = build<string>(policy, (a, b) => a.keyBy((x) => x.k).intervalJoin(b.keyBy((x) => x.k)).between(-5, 5)
      .process<string>((l, r, _c, out) => { boom(l); boom(r); out.collect(`${l.v}-${r.v}`); }));
    const join = h.op as unknown as IntervalJoinOperator<E, E, string>;
    expectRejected(policy, h, () => {
      h.push({ k: 'a', v: 1 }, 10);
      h.push2({ k: 'a', v: 2 }, 11);          // pairs with 1
      h.push2({ k: 'a', v: 3, bad: true }, 12); // throws pairing with 1: not buffered
      h.push({ k: 'a', v: 4 }, 13);           // pairs with 2 only (3 was rejected)
      h.push({ k: 'a', v: 5, bad: true }, 30); // no pair, no call: buffered
      h.push2({ k: 'a', v: 6 }, 31);          // throws pairing with 5 (left): the right record 6 is rejected
    }, [
      { error: err('bad a/3'), raw: { k: 'a', v: 3, bad: true }, input: 2 },
      { error: err('bad a/5'), raw: { k: 'a', v: 6 }, input: 2 },
    ]);
    if (policy === 'fail') return;
    assert.deepEqual(h.out.values(), ['1-2', '4-2']);
    // Buffered: 1, 4, 5 (left) and 2 (right); neither rejected record.
    assert.equal(join.buffered, 4);
    assert.deepEqual(counters(h.op), { in: 6, out: 2, dropped: policy === 'drop' ? 2 : 0, dead: policy === 'dead-letter' ? 2 : 0 });
  });

  test(`window join, '${policy}': a pair the join function throws on is rejected as { key, window, left, right }; the window's other pairs go out and it is cleaned up`, () => {
    const h = build<string>(policy, (a, b) => a.join(b).where((x) => x.k).equalTo((x) => x.k).window(TumblingEventTimeWindows.of(10))
      .apply((l, r) => { if (l.bad && r.bad) throw new Error(`bad ${l.v}-${r.v}`); return `${l.v}-${r.v}`; }));
    expectRejected(policy, h, () => {
      h.push({ k: 'a', v: 1 }, 1);
      h.push({ k: 'a', v: 2, bad: true }, 2);
      h.push2({ k: 'a', v: 3 }, 3);
      h.push2({ k: 'a', v: 4, bad: true }, 4);
      h.watermark(9);
    }, [{ error: err('bad 2-4'), raw: { key: 'a', window: { start: 0, end: 10 }, left: { k: 'a', v: 2, bad: true }, right: { k: 'a', v: 4, bad: true } } }]);
    if (policy === 'fail') return;
    assert.deepEqual(h.out.values(), ['1-3', '1-4', '2-3']);
    assert.equal((h.op as unknown as WindowOperator<E, string>).windowCount, 0, 'the window fired and its state went, as without the throw');
    assert.deepEqual(counters(h.op), { in: 4, out: 3, dropped: policy === 'drop' ? 1 : 0, dead: policy === 'dead-letter' ? 1 : 0 });
  });

  test(`window coGroup, '${policy}': a window the coGroup function throws on is rejected with both lists; the other windows go out`, () => {
    const h = build<string>(policy, (a, b) => a.coGroup(b).where((x) => x.k).equalTo((x) => x.k).window(TumblingEventTimeWindows.of(10))
      .apply<string>((ls, rs, out) => { for (const x of [...ls, ...rs]) boom(x); out.collect(`${ls.map((x) => x.v).join(',')}|${rs.map((x) => x.v).join(',')}`); }));
    expectRejected(policy, h, () => {
      h.push({ k: 'a', v: 1 }, 1);
      h.push2({ k: 'a', v: 2 }, 2);
      h.push({ k: 'b', v: 3 }, 3);
      h.push2({ k: 'b', v: 4, bad: true }, 4);
      h.watermark(9);
    }, [{ error: err('bad b/4'), raw: { key: 'b', window: { start: 0, end: 10 }, left: [{ k: 'b', v: 3 }], right: [{ k: 'b', v: 4, bad: true }] } }]);
    if (policy === 'fail') return;
    assert.deepEqual(h.out.values(), ['1|2']);
    assert.equal((h.op as unknown as WindowOperator<E, string>).windowCount, 0);
  });
}

test('keyed co-process: state written before the throw stays, as in a one-input keyed process (no rollback in either)', () => {
  const seen = (policy: ErrorPolicy, two: boolean): (number | undefined)[] => {
    const env = new StreamEnvironment(1);
    const a = env.fromCollection<E>([]);
    const fn = (x: E, ctx: { state<V>(n: string): { value(): V | undefined; update(v: V): void } }, out: { collect(s: number | undefined): void }): void => {
      const s = ctx.state<number>('sum');
      out.collect(s.value());
      s.update((s.value() ?? 0) + x.v);
      boom(x);
    };
    const stream: DataStream<number | undefined> = two
      ? a.connect(env.fromCollection<E>([])).keyBy((x) => x.k, (x) => x.k).process<number | undefined>({ processElement1: fn, processElement2: fn }).onError(policy)
      : a.keyBy((x) => x.k).process<number | undefined>(fn).onError(policy);
    const h = instantiate<E, number | undefined>(env, stream);
    const push2 = two ? h.push2 : h.push;
    h.push({ k: 'a', v: 1 });
    push2({ k: 'a', v: 2, bad: true });
    h.push({ k: 'a', v: 4 });
    return h.out.values();
  };
  assert.deepEqual(seen('drop', false), [undefined, 1, 3]);
  assert.deepEqual(seen('drop', true), seen('drop', false));
});

test('onError is taken on every two-input operator, and a dead-letter reader of one validates', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection<E>([]);
  const b = env.fromCollection<E>([]);
  const D = new MapStateDescriptor<string, number>('d');
  const streams: DataStream<unknown>[] = [
    a.connect(b).keyBy((x) => x.k, (x) => x.k).process({ processElement1() {}, processElement2() {} }),
    a.keyBy((x) => x.k).connect(b.broadcast(D)).process({ processElement() {}, processBroadcastElement() {} }),
    a.connect(b.broadcast(D)).process({ processElement() {}, processBroadcastElement() {} }),
    a.keyBy((x) => x.k).intervalJoin(b.keyBy((x) => x.k)).between(0, 1).process(() => {}),
    a.join(b).where((x) => x.k).equalTo((x) => x.k).window(TumblingEventTimeWindows.of(10)).apply((l) => l) as DataStream<unknown>,
    a.coGroup(b).where((x) => x.k).equalTo((x) => x.k).window(TumblingEventTimeWindows.of(10)).apply(() => {}),
  ];
  for (const s of streams) {
    s.onError('dead-letter').collect();
    s.getSideOutput(DEAD_LETTERS).collect();
  }
  env.graph.validate();
  assert.deepEqual(env.graph.nodes.filter((n) => n.errorPolicy !== undefined).map((n) => n.kind), ['coProcess', 'broadcastProcess', 'broadcastProcess', 'coProcess', 'coProcess', 'coProcess']);
});
