// The async I/O operator inside a chain, on one thread: requests are promises the test settles, the downstream
// records what reaches it. Backpressure (canAcceptInput), inputs waiting behind a full operator, watermarks held
// behind earlier inputs, an end of input that waits for the requests, snapshot and restore of everything not out
// yet with its timestamps, and the error policy of a failed request.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncOperator, MAX_HELD_MARKERS } from '../../../core/operators/async-operator.js';
import type { Downstream } from '../../../core/operators/operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import type { DeadLetter } from '../../../core/index.js';

type Event = { record: string; ts: number } | { watermark: number } | { idle: boolean } | { end: true };

function downstream(ctx: TaskContext, events: Event[]): Downstream<string> {
  return {
    push: (v) => { events.push({ record: v, ts: ctx.timestamp }); },
    watermark: (wm) => { events.push({ watermark: wm }); },
    idle: (i) => { events.push({ idle: i }); },
    finish: () => { events.push({ end: true }); },
  };
}

/** An async function whose requests the test answers: `answer(i)` resolves input i's request. */
function gated() {
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  let wakes = 0;
  const fn = (i: number): Promise<string> => new Promise((resolve, reject) => { pending.set(i, { resolve, reject }); });
  return {
    fn,
    pending,
    answer: async (i: number) => { pending.get(i)!.resolve(`r${i}`); pending.delete(i); await new Promise<void>((r) => setImmediate(r)); },
    fail: async (i: number) => { pending.get(i)!.reject(new Error(`no ${i}`)); pending.delete(i); await new Promise<void>((r) => setImmediate(r)); },
    wakes: () => wakes,
    ctx: (() => { const c = new TaskContext('t', 0, 1, 128); c.wake = () => { wakes++; }; return c; })(),
  };
}

test('capacity: full means no input accepted; inputs pushed anyway wait, unstarted, in order; completions wake the task', async () => {
  const g = gated();
  const events: Event[] = [];
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, events), g.fn, { capacity: 2 });
  op.push(1);
  assert.ok(op.canAcceptInput());
  op.push(2);
  assert.equal(op.canAcceptInput(), false, 'two in flight');
  op.push(3); // a burst from a source read: it waits
  assert.deepEqual([...g.pending.keys()], [1, 2], 'only two requests started');
  await g.answer(1);
  assert.ok(g.wakes() >= 1, 'the completion rang the doorbell');
  assert.ok(op.hasPendingWork());
  op.pollPending(100);
  assert.deepEqual([...g.pending.keys()], [2, 3], 'the waiting input started once a slot was free');
  assert.deepEqual(events, [{ record: 'r1', ts: NaN }]);
});

test('ordered: a watermark waits behind the inputs before it; the end of input waits for every request', async () => {
  const g = gated();
  const events: Event[] = [];
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, events), g.fn, { capacity: 10 });
  g.ctx.timestamp = 100; op.push(1);
  g.ctx.timestamp = 200; op.push(2);
  op.watermark(150);
  g.ctx.timestamp = 300; op.push(3);
  op.finish();
  assert.deepEqual(events, [], 'nothing passes before the results');
  await g.answer(2);
  op.pollPending(100);
  assert.deepEqual(events, [], 'ordered: 2 waits for 1');
  await g.answer(1);
  op.pollPending(100);
  assert.deepEqual(events, [{ record: 'r1', ts: 100 }, { record: 'r2', ts: 200 }, { watermark: 150 }]);
  assert.equal(op.drained, false);
  await g.answer(3);
  op.pollPending(100);
  assert.deepEqual(events.slice(3), [{ record: 'r3', ts: 300 }, { end: true }]);
  assert.ok(op.drained);
});

test('snapshot holds every input not out yet (in flight, finished but unemitted, waiting) with its timestamp; a restore issues them again', async () => {
  const g = gated();
  const events: Event[] = [];
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, events), g.fn, { capacity: 2 });
  for (const i of [1, 2, 3, 4]) { g.ctx.timestamp = i * 10; op.push(i); }
  await g.answer(2); // finished, but ordered behind 1
  const snap = structuredClone(op.snapshotState(1));
  assert.deepEqual(snap, { operator: [{ value: 1, ts: 10 }, { value: 2, ts: 20 }, { value: 3, ts: 30 }, { value: 4, ts: 40 }], redistribute: 'split' });
  op.close();

  const h = gated();
  const after: Event[] = [];
  const restored = new AsyncOperator<number, string>('enrich', h.ctx, downstream(h.ctx, after), h.fn, { capacity: 2, ordered: false });
  restored.restoreState({ keyed: [], operator: snap.operator! });
  assert.deepEqual([...h.pending.keys()], [1, 2], 'restored inputs start first, up to capacity');
  for (const i of [2, 1, 3, 4]) {
    while (!h.pending.has(i)) restored.pollPending(100);
    await h.answer(i);
    restored.pollPending(100);
  }
  assert.deepEqual(after, [{ record: 'r2', ts: 20 }, { record: 'r1', ts: 10 }, { record: 'r3', ts: 30 }, { record: 'r4', ts: 40 }]);
  assert.equal(restored.recordsIn, 4);
  assert.equal(restored.recordsOut, 4);
});

test("a failed request: the operator's error policy decides ('dead-letter' here; 'fail' throws naming the operator)", async () => {
  const g = gated();
  const events: Event[] = [];
  const dead: DeadLetter[] = [];
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, events), g.fn, {});
  op.errorPolicy = 'dead-letter';
  op.deadLetters = { push: (d) => { dead.push(d); }, watermark() {}, idle() {}, finish() {} };
  op.push(1);
  op.push(2);
  await g.fail(1);
  await g.answer(2);
  op.pollPending(100);
  assert.deepEqual(events, [{ record: 'r2', ts: NaN }]);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.raw, 1);
  assert.equal(dead[0]!.error.code, 'ASYNC_FAILED');
  assert.match(dead[0]!.error.message, /enrich: request for input #0 failed \(1 attempt\): no 1/);
  assert.deepEqual({ in: op.recordsIn, out: op.recordsOut, dead: op.deadLettered }, { in: 2, out: 1, dead: 1 });

  const f = gated();
  const failing = new AsyncOperator<number, string>('enrich', f.ctx, downstream(f.ctx, []), f.fn, {});
  failing.push(1);
  await f.fail(1);
  assert.throws(() => failing.pollPending(100), /operator 'enrich' \(subtask 0\) failed: enrich: request for input #0 failed/);
});

// Regression: idleness went downstream at once, ahead of results still due; downstream then stopped
// waiting for this input, moved event time on by its others, and found those results late.
test('the stream going idle waits behind the results still due, like a watermark; active again before that, nothing is sent', async () => {
  const g = gated();
  const events: Event[] = [];
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, events), g.fn, {});
  g.ctx.timestamp = 150;
  op.push(1);
  op.idle(true);
  assert.deepEqual(events, [], 'held while r1 is due');
  await g.answer(1);
  op.pollPending(100);
  assert.deepEqual(events, [{ record: 'r1', ts: 150 }, { idle: true }]);
  op.idle(false);
  op.idle(true);
  assert.deepEqual(events.slice(2), [{ idle: false }, { idle: true }], 'nothing due: passed on at once');
  op.idle(false); // a record follows
  g.ctx.timestamp = 160;
  op.push(2);
  op.idle(true);
  op.idle(false);
  await g.answer(2);
  op.pollPending(100);
  assert.deepEqual(events.slice(4), [{ idle: false }, { record: 'r2', ts: 160 }], 'idle and active again while r2 was due: neither goes out');
});

// Signals: a function that declares its signal parameter gets one per attempt (a fetch adds a listener to it per
// request: on a shared one they would pile up); one that declares none shares a single signal, aborted at close
// (an AbortController per request cost more than the rest of the operator).
test('a function that takes its signal gets one per request; one that does not shares one, aborted at close', () => {
  const ctx = new TaskContext('test', 0, 1, 128);
  const per: AbortSignal[] = [];
  const shared: AbortSignal[] = [];
  const takesSignal = (_i: number, signal: AbortSignal): Promise<string> => { per.push(signal); return new Promise(() => {}); };
  const noSignal = function (this: void, _i: number): Promise<string> {
    // Declares one parameter (length 1); the signal still comes as the second argument.
    shared.push(arguments[1] as AbortSignal);
    return new Promise(() => {});
  };
  for (const [fn, got] of [[takesSignal, per], [noSignal, shared]] as const) {
    const op = new AsyncOperator<number, string>('enrich', ctx, downstream(ctx, []), fn as (i: number, s: AbortSignal) => Promise<string>, { capacity: 10 });
    for (let i = 0; i < 3; i++) { ctx.timestamp = i; op.push(i); }
    assert.equal(got.length, 3);
    assert.ok(got.every((s) => !s.aborted), 'not aborted while the job runs');
    op.close();
  }
  assert.equal(new Set(per).size, 3, 'one signal per request');
  assert.equal(new Set(shared).size, 1, 'one signal for every request');
  assert.ok([...per, ...shared].every((s) => s.aborted), 'all aborted at close');
});

// Regression: with timeoutMs left at Infinity, a request that never settled held one more latency marker every
// latency interval, for ever (1000 here, all passed on once it settled).
test('latency markers held behind a request that does not settle are bounded, spread evenly over the wait, the oldest kept', async () => {
  const g = gated();
  const events: Event[] = [];
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, events), g.fn, { capacity: 2 });
  op.push(1);
  const passed: number[] = [];
  const M = 1000;
  for (let m = 0; m < M; m++) op.holdMarker(m, (x) => passed.push(x));
  assert.equal(passed.length, 0, 'held behind the request');
  await g.answer(1);
  op.pollPending(100);
  assert.ok(passed.length <= MAX_HELD_MARKERS && passed.length >= MAX_HELD_MARKERS / 2, `${passed.length} markers passed on of ${M}`);
  assert.equal(passed[0], 0, 'the oldest, which shows how long the wait was');
  assert.ok(passed.at(-1)! >= M - MAX_HELD_MARKERS, `the newest passed on: ${passed.at(-1)}`);
  const gaps = new Set(passed.slice(1).map((m, i) => m - passed[i]!));
  assert.equal(gaps.size, 1, `evenly spread: ${[...gaps].join(', ')}`);
  // Nothing held now: the next marker passes at once, and the next wait keeps every marker again.
  op.holdMarker(-1, (x) => passed.push(x));
  assert.equal(passed.at(-1), -1);
  op.push(2);
  const again: number[] = [];
  for (let m = 0; m < 10; m++) op.holdMarker(m, (x) => again.push(x));
  await g.answer(2);
  op.pollPending(100);
  assert.deepEqual(again, Array.from({ length: 10 }, (_, m) => m));
});

// The markers the bound drops were counted nowhere: a latency read from a few of them did not say it was thinned.
test('latency markers dropped past the bound are counted, skipped and let go of alike; those passed on are not', async () => {
  const g = gated();
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, []), g.fn, { capacity: 2 });
  const passed: number[] = [];
  op.holdMarker(-1, (x) => passed.push(x));
  assert.equal(op.latencyMarkersDropped, 0, 'nothing held: passed on at once');
  op.push(1);
  for (let m = 0; m < MAX_HELD_MARKERS; m++) op.holdMarker(m, (x) => passed.push(x));
  assert.equal(op.latencyMarkersDropped, 0, 'up to the bound every one is held');
  const M = 1000;
  for (let m = MAX_HELD_MARKERS; m < M; m++) op.holdMarker(m, (x) => passed.push(x));
  await g.answer(1);
  op.pollPending(100);
  assert.equal(passed.length - 1 + op.latencyMarkersDropped, M, `${passed.length - 1} passed on, ${op.latencyMarkersDropped} dropped, of ${M}`);
  assert.ok(op.latencyMarkersDropped > M / 2);
});

// Regression: the markers an asyncMap held when it was closed (a cancel, a failure) went nowhere and were counted
// nowhere: a cancelled job's metrics read as if every marker had come.
test('latency markers still held when the operator closes are counted as dropped, and none passes on after', async () => {
  const g = gated();
  const op = new AsyncOperator<number, string>('enrich', g.ctx, downstream(g.ctx, []), g.fn, { capacity: 2 });
  op.push(1);
  const passed: number[] = [];
  const HELD = 5;
  for (let m = 0; m < HELD; m++) op.holdMarker(m, (x) => passed.push(x));
  assert.equal(op.latencyMarkersDropped, 0, 'held, not dropped, while the request runs');
  op.close();
  assert.equal(op.latencyMarkersDropped, HELD);
  // The request settling after the close passes nothing on and counts nothing twice.
  await g.answer(1);
  op.pollPending(100);
  assert.deepEqual(passed, []);
  op.close();
  assert.equal(op.latencyMarkersDropped, HELD);
});
