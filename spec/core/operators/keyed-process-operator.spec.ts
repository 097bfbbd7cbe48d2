// The keyed process operator on one thread, driven as an input gate drives it: event-time timers fire when the
// watermark reaches them (and the watermark they see has), processing-time timers when the wall clock does; state
// and timers survive snapshotState/restoreState; user errors name the operator.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedProcessOperator } from '../../../core/operators/keyed-process-operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { Downstream } from '../../../core/operators/operator.js';
import type { KeyedContext, KeyedProcessFunction } from '../../../core/api/functions.js';
import type { ValueState } from '../../../core/api/state.js';
import { OperatorError } from '../../../core/api/errors.js';
import { OutputTag } from '../../../core/api/output-tag.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';
import { KeyTypeError } from '../../../core/graph/tuple-key.js';

class Sink<T> implements Downstream<T> {
  out: { v: T; ts: number }[] = [];
  watermarks: number[] = [];
  finished = false;
  constructor(private readonly ctx: TaskContext) {}
  push(v: T): void { this.out.push({ v, ts: this.ctx.timestamp }); }
  watermark(w: number): void { this.watermarks.push(w); }
  idle(): void {}
  finish(): void { this.finished = true; }
}

interface Ev { k: string; ts: number }

function operator<O>(fn: KeyedProcessFunction<string, Ev, O>, tracking = true) {
  const ctx = new TaskContext('t', 0, 1, 128);
  const sink = new Sink<O>(ctx);
  const op = new KeyedProcessOperator<string, Ev, O>('proc', ctx, sink, (e) => e.k, fn, tracking);
  op.open();
  /** A record with its timestamp, as an input gate pushes it. */
  const push = (e: Ev): void => { ctx.timestamp = e.ts; op.push(e); };
  /** A watermark, as the input gate's valve emits it: the task's watermark is set first. */
  const watermark = (w: number): void => { ctx.watermark = w; op.watermark(w); };
  return { ctx, sink, op, push, watermark };
}

type Fired = { key: string; at: number; wm: number; ts: number | undefined; domain: string };
const timers: KeyedProcessFunction<string, Ev, Fired> = {
  processElement(e, ctx) { ctx.timerService.registerEventTimeTimer(e.ts + 10); },
  onTimer(at, ctx, out) {
    out.collect({ key: ctx.key, at, wm: ctx.timerService.currentWatermark(), ts: ctx.timestamp, domain: (ctx as unknown as { timeDomain: string }).timeDomain });
  },
};

describe('KeyedProcessOperator', () => {
  test('event-time timers fire in order when the watermark reaches them, seeing that watermark, with the key and timestamp of the timer', () => {
    const { sink, push, watermark } = operator(timers);
    push({ k: 'a', ts: 5 });
    push({ k: 'b', ts: 1 });
    push({ k: 'a', ts: 3 });
    watermark(12);
    watermark(14);
    assert.deepEqual(sink.out.map((o) => o.v), [
      { key: 'b', at: 11, wm: 12, ts: 11, domain: 'event' },
      { key: 'a', at: 13, wm: 14, ts: 13, domain: 'event' },
    ]);
    assert.deepEqual(sink.out.map((o) => o.ts), [11, 13], 'emitted records carry the timer time');
    assert.deepEqual(sink.watermarks, [12, 14], 'the watermark goes on after the timers');
  });

  test('at end of input every pending event-time timer fires, and sees the final watermark (regression: it saw the old one)', () => {
    const { sink, push, op } = operator(timers);
    push({ k: 'a', ts: 100 });
    op.finish();
    assert.deepEqual(sink.out.map((o) => [o.v.at, o.v.wm]), [[110, MAX_WATERMARK]]);
    assert.equal(sink.finished, true);
  });

  test('run by a subtask, the final watermark\'s timers fire in slices (fireDueTimers), and the watermark goes on after the last', () => {
    const { sink, push, watermark, op } = operator(timers);
    assert.equal(op.sliceDueTimers(), true);
    for (let i = 0; i < 5; i++) push({ k: `k${i}`, ts: i });
    watermark(MAX_WATERMARK);
    assert.equal(sink.out.length, 0, 'nothing fires in watermark() itself');
    assert.equal(op.hasDueTimers(), true);
    assert.equal(op.fireDueTimers(2, () => false), 2);
    assert.deepEqual(sink.watermarks, [], 'not passed on while timers are due');
    let asked = 0;
    assert.equal(op.fireDueTimers(10, () => ++asked === 1), 1, 'stop() ends a slice');
    assert.equal(op.fireDueTimers(10, () => false), 2);
    assert.deepEqual(sink.watermarks, [], 'not known to be the last yet');
    assert.equal(op.fireDueTimers(10, () => false), 0);
    assert.equal(op.hasDueTimers(), false);
    assert.deepEqual(sink.out.map((o) => o.v.key), ['k0', 'k1', 'k2', 'k3', 'k4'], 'each once, in time order');
    assert.deepEqual(sink.watermarks, [MAX_WATERMARK]);
    op.finish();
    assert.equal(sink.out.length, 5);
    assert.deepEqual(sink.watermarks, [MAX_WATERMARK], 'passed on once');
  });

  test('end of input fires what slices left of the final watermark\'s timers', () => {
    const { sink, push, watermark, op } = operator(timers);
    op.sliceDueTimers();
    for (let i = 0; i < 5; i++) push({ k: `k${i}`, ts: i });
    watermark(MAX_WATERMARK);
    op.fireDueTimers(2, () => false);
    op.finish();
    assert.deepEqual(sink.out.map((o) => o.v.key), ['k0', 'k1', 'k2', 'k3', 'k4']);
    assert.deepEqual(sink.watermarks, [MAX_WATERMARK]);
    assert.equal(sink.finished, true);
  });

  // Regression: the TTL event clock was the watermark in onTimer, so a timer saw entries expire by a
  // watermark far past the timer (MAX_WATERMARK at end of input): the same job read them or not by how watermarks
  // happened to be timed.
  test('in an event-time timer, event-time TTL is measured at the timer time, not at the watermark that fired it', () => {
    const ttl = { ttlMs: 100, time: 'event' as const };
    const fn: KeyedProcessFunction<string, Ev, string> = {
      processElement(e, ctx) { ctx.state<string>('s', { ttl }).update(`written@${e.ts}`); ctx.timerService.registerEventTimeTimer(e.ts + 45); ctx.timerService.registerEventTimeTimer(e.ts + 150); },
      onTimer(at, ctx, out) { out.collect(`${at}: ${ctx.state<string>('s', { ttl }).value() ?? 'expired'}`); },
    };
    const jump = operator(fn);
    jump.push({ k: 'a', ts: 5 });
    jump.watermark(1000);
    const end = operator(fn);
    end.push({ k: 'a', ts: 5 });
    end.op.finish();
    for (const { sink } of [jump, end]) assert.deepEqual(sink.out.map((o) => o.v), ['50: written@5', '155: expired']);
  });

  test('a timer a late record registers after the final watermark fires at end of input (regression: never)', () => {
    const { sink, push, watermark, op } = operator(timers);
    push({ k: 'a', ts: 1 });
    watermark(MAX_WATERMARK);
    push({ k: 'b', ts: 5 }); // late: an input that was idle delivered it after the end of event time
    op.finish();
    assert.deepEqual(sink.out.map((o) => [o.v.key, o.v.at, o.v.wm]), [['a', 11, MAX_WATERMARK], ['b', 15, MAX_WATERMARK]]);
  });

  // Regression: a timer for T fired within millisecond T, so a processing-time window (timer at its
  // maxTimestamp) fired again, partially, for records of its last millisecond. As in Flink, it fires once T has passed.
  test('processing-time timers fire from onProcessingTime once the clock has passed them, and nextProcessingTime says when', () => {
    const { sink, ctx, op } = operator<Fired>({
      processElement(e, c) { c.timerService.registerProcessingTimeTimer(e.ts); },
      onTimer(at, c, out) { out.collect({ key: c.key, at, wm: 0, ts: c.timestamp, domain: c.timeDomain }); },
    });
    ctx.timestamp = NaN;
    op.push({ k: 'a', ts: 2000 });
    op.push({ k: 'b', ts: 1000 });
    assert.equal(op.nextProcessingTime(), 1001);
    op.onProcessingTime(1000);
    assert.equal(sink.out.length, 0, 'not within millisecond 1000 itself');
    op.onProcessingTime(1001);
    assert.deepEqual(sink.out.map((o) => o.v), [{ key: 'b', at: 1000, wm: 0, ts: undefined, domain: 'processing' }]);
    assert.equal(op.nextProcessingTime(), 2001);
    op.finish();
    assert.equal(sink.out.length, 1, 'processing-time timers do not fire at end of input');
  });

  // 2^53 and above: such a timer never fires, not even at the end of input (regression: lost without a word).
  test('a timer timestamp that is not a number of ms within ±(2^53 - 1) fails with OperatorError naming the operator', () => {
    for (const bad of [NaN, Infinity, '5' as unknown as number, 2 ** 53, 1.7e18, -(2 ** 53)]) {
      const { push } = operator<never>({ processElement(_e, c) { c.timerService.registerEventTimeTimer(bad); } });
      assert.throws(() => push({ k: 'a', ts: 1 }), (e: unknown) => e instanceof OperatorError && e.operator === 'proc' && /a timer timestamp must be a number of ms within ±\(2\^53 - 1\)/.test(e.message), String(bad));
    }
    const { push } = operator<never>({ processElement(_e, c) { c.timerService.registerEventTimeTimer(2 ** 53 - 1); c.timerService.registerEventTimeTimer(0.5); } });
    push({ k: 'a', ts: 1 });
  });

  // Before the first watermark currentWatermark() is MIN_WATERMARK: a timer at currentWatermark() - 100 failed with a
  // bare "got -9007199254741092", which said nothing of where that number came from.
  test('a timer computed from currentWatermark() before the first watermark says the watermark is MIN_WATERMARK', () => {
    const { push } = operator<never>({ processElement(_e, c) { c.timerService.registerEventTimeTimer(c.timerService.currentWatermark() - 100); } });
    assert.throws(() => push({ k: 'a', ts: 1 }), (e: unknown) => e instanceof OperatorError && e.operator === 'proc'
      && /got -9007199254741092 \(below the lowest event time: computed from currentWatermark\(\)\? It is MIN_WATERMARK, -\(2\^53 - 1\), until the first watermark arrives\)/.test(e.message));
  });

  test('an exception in onTimer fails with OperatorError naming the operator', () => {
    const { push, watermark } = operator<never>({
      processElement(e, c) { c.timerService.registerEventTimeTimer(e.ts); },
      onTimer() { throw new Error('bang'); },
    });
    push({ k: 'a', ts: 1 });
    assert.throws(() => watermark(1), (e: unknown) => e instanceof OperatorError && e.operator === 'proc' && /bang/.test(e.message));
  });

  test('state and timers survive snapshotState and restoreState into a new instance', () => {
    const fn: KeyedProcessFunction<string, Ev, string> = {
      processElement(e, c, out) {
        const n = c.valueState<number>('n');
        n.update((n.value() ?? 0) + 1);
        c.timerService.registerEventTimeTimer(e.ts);
        out.collect(`${c.key}:${n.value()}`);
      },
      onTimer(at, c, out) { out.collect(`timer ${c.key}@${at} n=${c.valueState<number>('n').value()}`); },
    };
    const a = operator(fn);
    a.push({ k: 'x', ts: 10 });
    a.push({ k: 'x', ts: 20 });
    a.push({ k: 'y', ts: 15 });
    a.watermark(12);
    const snap = a.op.snapshotState(1, false);
    assert.equal(snap.keyedEntries, 4, 'two counters and two pending timer lists');
    const b = operator(fn);
    b.op.restoreState({ keyed: snap.keyed!, operator: [] });
    b.push({ k: 'x', ts: 30 });
    b.watermark(100);
    assert.deepEqual(b.sink.out.map((o) => o.v), ['x:3', 'timer y@15 n=1', 'timer x@20 n=3', 'timer x@30 n=3']);
  });

  test('event-time TTL: state written before the first watermark lives ttlMs from its record time (regression: it expired at the first watermark)', () => {
    const { sink, push, watermark } = operator<number>({
      processElement(_e, c, out) {
        const n = c.valueState<number>('n', { ttl: { ttlMs: 1000, time: 'event' } });
        n.update((n.value() ?? 0) + 1);
        out.collect(n.value()!);
      },
    });
    push({ k: 'a', ts: 5000 });
    watermark(4000);
    push({ k: 'a', ts: 5500 });
    watermark(6400);
    push({ k: 'a', ts: 6600 }); // 1100 after the last write at 5500: expired
    assert.deepEqual(sink.out.map((o) => o.v), [1, 2, 1]);
  });

  test('side outputs go to the wired tag; to a tag nothing reads they are counted as dropped', () => {
    const tag = new OutputTag<string>('odd');
    const other = new OutputTag<string>('other');
    const { op, push, ctx } = operator<never>({ processElement(e, c) { c.output(tag, e.k); c.output(other, e.k); } });
    const side = new Sink<unknown>(ctx);
    op.sideOutputs.set('odd', side);
    push({ k: 'a', ts: 1 });
    assert.deepEqual(side.out.map((o) => o.v), ['a']);
    assert.equal(op.sideOutputs.dropped, 1);
  });

  // Regression: under 'drop' or 'dead-letter', a state declared twice with different kinds (a bug in the job, not
  // in a record) was handled as a bad record: every record was dropped and the job ran on without output.
  for (const policy of ['drop', 'dead-letter'] as const) {
    test(`a state declared as two kinds fails the job under the '${policy}' policy too, naming the operator and the state`, () => {
      const { op, push } = operator<never>({
        processElement(_e, c) { c.valueState('seen'); c.listState('seen'); },
      });
      op.errorPolicy = policy;
      assert.throws(() => push({ k: 'a', ts: 1 }), (e: unknown) => e instanceof OperatorError
        && /operator 'proc'/.test(e.message) && /state 'seen' is a value state, not a list state/.test(e.message));
      assert.equal(op.dropped + op.deadLettered, 0, 'nothing was dropped or dead-lettered');
    });
  }

  test('the task context\'s stateFastPaths reaches the timers: one timer per key a number with it on, an array with it off; timers of one time batched with it on', () => {
    for (const on of [true, false]) {
      const ctx = new TaskContext('t', 0, 1, 128);
      ctx.stateFastPaths = on;
      const op = new KeyedProcessOperator<string, Ev, never>('proc', ctx, new Sink<never>(ctx), (e) => e.k, { processElement(e, c) { c.timerService.registerEventTimeTimer(e.ts + 10); } }, true);
      op.open();
      ctx.timestamp = 1;
      op.push({ k: 'a', ts: 1 });
      assert.deepEqual(op.backend.table<unknown>('__timers/event', 'internal', undefined).entries.get('a')?.value, on ? 11 : [11]);
      for (const k of ['b', 'c', 'd']) op.push({ k, ts: 1 });
      // Four timers at 11: the first in a node of its own, the others in one batch (groupTimes).
      assert.equal((op.timers as unknown as { event: { heap: { size: number } } }).event.heap.size, on ? 2 : 4);
    }
  });

  // Regression: open() read ctx.key as '' (and state of that key) although no record had set one.
  test('ctx.key or keyed state read in open() fails, naming the operator (and the state); open() may declare handles', () => {
    for (const [read, message] of [
      [(c: KeyedContext<string>) => c.key, /^operator 'proc' \(subtask 0\) failed: ctx\.key read in open\(\): no key is set/],
      [(c: KeyedContext<string>) => c.valueState<number>('n').value(), /^operator 'proc' \(subtask 0\) failed: state 'n' read or written in open\(\), where no key is set/],
    ] as const) {
      assert.throws(() => operator<never>({ open(c) { read(c); }, processElement() {} }), (e: unknown) => e instanceof OperatorError && message.test(e.message));
    }
    const h: { n?: ValueState<number>; open(c: KeyedContext<string>): void; processElement(e: Ev, c: KeyedContext<string>, out: { collect(x: [string, number]): void }): void } = {
      open(c) { this.n = c.valueState<number>('n'); },
      processElement(_e, c, out) { this.n!.update((this.n!.value() ?? 0) + 1); out.collect([c.key, this.n!.value()!]); },
    };
    const { sink, push } = operator<[string, number]>(h);
    push({ k: 'a', ts: 1 }); push({ k: 'a', ts: 2 });
    assert.deepEqual(sink.out.map((o) => o.v), [['a', 1], ['a', 2]]);
  });

  // Regression: an object map key was stored (found only by identity, restored as another object), and a symbol
  // failed the next checkpoint with msgpack's "Unknown type: symbol", naming nothing.
  test('a map state put with a map key that is not a key goes to the error policy (a KeyTypeError naming the operator and the state)', () => {
    const fn: KeyedProcessFunction<string, Ev & { mk?: unknown }, string> = (e, c, out) => {
      c.mapState<string, number>('byId').put((e.mk ?? e.k) as string, e.ts);
      out.collect(`${c.key} ${c.mapState<string, number>('byId').entries().length}`);
    };
    const { op, sink, push } = operator(fn);
    op.errorPolicy = 'drop';
    push({ k: 'a', ts: 1 });
    push({ k: 'a', ts: 2, mk: { id: 1 } } as Ev);
    push({ k: 'a', ts: 3, mk: 7 } as Ev);
    assert.deepEqual(sink.out.map((o) => o.v), ['a 1', 'a 2'], 'the object key was not stored');
    assert.equal(op.dropped, 1);
    op.errorPolicy = 'fail';
    assert.throws(() => push({ k: 'a', ts: 4, mk: Symbol('s') } as Ev), (e: unknown) => e instanceof OperatorError && e.cause instanceof KeyTypeError
      && /^operator 'proc' \(subtask 0\) failed: map state 'byId': a map key must be a string, number, bigint or boolean, got symbol/.test(e.message));
    assert.equal(op.snapshotState(1, true).keyedEntries, 1, 'the checkpoint still encodes');
  });

  test('open is called once with the context', () => {
    let opened = 0;
    operator<never>({ open() { opened++; }, processElement() {} });
    assert.equal(opened, 1);
  });
});

// A timer set from the timestamp of a record that has none said only "got NaN".
test('a timer at NaN (ctx.timestamp of a record without one) fails saying to assign timestamps upstream', () => {
  const { op, ctx } = operator<never>({ processElement(_e, c) { c.timerService.registerEventTimeTimer(c.timestamp! + 10); } });
  ctx.timestamp = NaN;
  assert.throws(() => op.push({ k: 'a', ts: 0 }), (e: Error) => e instanceof OperatorError && /got NaN \(a record without a timestamp has ctx.timestamp undefined: call assignTimestampsAndWatermarks/.test(e.message));
});

// Regression: an async processElement or onTimer compiled (a Promise fits a void callback), but after
// an await its state and ctx.key were the next record's key ('a's update landed on 'b'). The types refuse it now
// (Sync; types.spec.ts); JavaScript, or a cast, still gets here.
test('a process function that returns a promise fails the job at once, naming the operator', async () => {
  const seen: string[] = [];
  const asynchronous = <H>(handler: H): KeyedProcessFunction<string, Ev, never> => handler as unknown as KeyedProcessFunction<string, Ev, never>;
  const { push } = operator<never>(asynchronous({
    async processElement(_e: Ev, ctx: KeyedContext<string>) { await Promise.resolve(); seen.push(ctx.key); },
  }));
  assert.throws(() => push({ k: 'a', ts: 1 }), (e: unknown) => e instanceof OperatorError && /operator 'proc' \(subtask 0\) failed: processElement returned a promise, but it runs synchronously/.test(String((e as Error).message)));
  const timer = operator<never>(asynchronous({
    processElement(e: Ev, ctx: KeyedContext<string>) { ctx.timerService.registerEventTimeTimer(e.ts); },
    async onTimer() { await Promise.resolve(); },
  }));
  timer.push({ k: 'a', ts: 1 });
  assert.throws(() => timer.watermark(5), /onTimer returned a promise/);
  await Promise.resolve();
});

// Regression: a timer re-armed from onTimer made the final watermark fire it for good (every time is due at
// MAX_WATERMARK): a bounded job never ended, at full CPU.
test('at the end of input, cascades of timers registering timers fire, a day of re-arms too; a timer re-armed for good fails the job, naming the operator', () => {
  const cascade = operator<string>({
    processElement(e, ctx) { ctx.timerService.registerEventTimeTimer(e.ts + 100); },
    // Three generations after the first, each 1000 later; none once the watermark is at its end.
    onTimer(at, ctx, out) {
      out.collect(`${ctx.key}@${at}`);
      if (at < 3100) ctx.timerService.registerEventTimeTimer(at + 1000);
    },
  });
  for (let i = 0; i < 100; i++) cascade.push({ k: `k${i}`, ts: 0 });
  cascade.op.finish();
  assert.equal(cascade.sink.out.length, 400, 'each key\'s four timers');
  assert.deepEqual(cascade.sink.out.filter((o) => o.v.startsWith('k7@')).map((o) => o.v), ['k7@100', 'k7@1100', 'k7@2100', 'k7@3100']);
  assert.ok(cascade.sink.finished);

  // A heartbeat that stops on its own after a day of seconds: it ends, as it would in Flink.
  let beats = 0;
  const day = operator<never>({
    processElement(e, ctx) { ctx.timerService.registerEventTimeTimer(e.ts + 1000); },
    onTimer(at, ctx) { beats++; if (at < 86_400_000) ctx.timerService.registerEventTimeTimer(at + 1000); },
  });
  day.push({ k: 'a', ts: 0 });
  day.op.finish();
  assert.equal(beats, 86_400);

  let fired = 0;
  const endless = operator<never>({
    processElement(e, ctx) { ctx.timerService.registerEventTimeTimer(e.ts + 1000); ctx.timerService.registerProcessingTimeTimer(1e15); },
    onTimer(at, ctx) { fired++; ctx.timerService.registerEventTimeTimer(at + 1000); },
  });
  endless.op.endTimerCascadeMin = 50_000;
  endless.push({ k: 'a', ts: 0 });
  endless.watermark(5000);
  assert.equal(fired, 5, 'before the end, a re-armed timer fires while the watermark passes it');
  assert.throws(() => endless.op.finish(), (e: unknown) => e instanceof OperatorError
    && /operator 'proc'.*at the end of input, onTimer kept registering event-time timers \(50,000 fired after the 1 pending when the final watermark came\).*stop re-arming once ctx\.timerService\.currentWatermark\(\) is MAX_WATERMARK/.test((e as Error).message));
  assert.equal(fired, 5 + 50_001);

  // The way out the message gives.
  const guarded = operator<number>({
    processElement(e, ctx) { ctx.timerService.registerEventTimeTimer(e.ts + 1000); },
    onTimer(at, ctx, out) {
      out.collect(at);
      if (ctx.timerService.currentWatermark() < MAX_WATERMARK) ctx.timerService.registerEventTimeTimer(at + 1000);
    },
  });
  guarded.push({ k: 'a', ts: 0 });
  guarded.watermark(2500);
  guarded.op.finish();
  assert.deepEqual(guarded.sink.out.map((o) => o.v), [1000, 2000, 3000]);
});
