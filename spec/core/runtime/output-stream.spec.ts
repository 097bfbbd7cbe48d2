// The reader behind handle.output(): records in order whether they were queued or awaited, the end or the error
// only after every queued record, and an early return handing back what was not read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputStream, type Flow } from '../../../core/runtime/output-stream.js';

test('a waiting next() takes the first record of a delivery; the rest queue behind it', async () => {
  const s = new OutputStream<number>(() => {});
  const first = s.next();
  s.deliver([7, 8, 9]);
  s.deliver([]);
  assert.deepEqual(await first, { value: 7, done: false });
  assert.deepEqual(await s.next(), { value: 8, done: false });
  assert.deepEqual(await s.next(), { value: 9, done: false });
  const pending = s.next();
  s.end();
  assert.deepEqual(await pending, { value: undefined, done: true });
  assert.deepEqual(await s.next(), { value: undefined, done: true });
});

test('the job\'s error comes after every queued record, once; a waiting next() gets it at once', async () => {
  const s = new OutputStream<number>(() => {});
  s.deliver([1, 2]);
  s.end(new Error('boom'));
  const got: number[] = [];
  await assert.rejects(async () => { for await (const v of s) got.push(v); }, /boom/);
  assert.deepEqual(got, [1, 2]);
  const t = new OutputStream<number>(() => {});
  const waiting = t.next();
  t.end(new Error('late'));
  await assert.rejects(waiting, /late/);
});

test('return() (a break) hands back what was not read, once; later deliveries are ignored', async () => {
  const handed: number[][] = [];
  const s = new OutputStream<number>((unread) => handed.push(unread));
  s.deliver([1, 2, 3, 4]);
  for await (const v of s) if (v === 2) break;
  assert.deepEqual(handed, [[3, 4]]);
  s.deliver([5]);
  await s.return();
  assert.deepEqual(handed, [[3, 4]]);
  assert.deepEqual(await s.next(), { value: undefined, done: true });
});

test('a long-running reader does not keep what it has read', async () => {
  const s = new OutputStream<number>(() => {});
  s.deliver(Array.from({ length: 5000 }, (_, i) => i));
  for (let i = 0; i < 4000; i++) assert.equal((await s.next()).value, i);
  // The queue was compacted: what remains is what is unread.
  assert.ok((s as unknown as { queue: number[] }).queue.length <= 2000, 'read records released');
  for (let i = 4000; i < 5000; i++) assert.equal((await s.next()).value, i);
});

// Regressions: return() with a next() pending left it unsettled for good (an unbounded job never ends),
// and a second next() before the first settled was refused where an async generator queues it.
test('return() settles a pending next() as done; calls of next() queue, answered in order', async () => {
  const s = new OutputStream<number>(() => {});
  const pending = s.next();
  await s.return();
  assert.deepEqual(await pending, { value: undefined, done: true });
  const t = new OutputStream<number>(() => {});
  const [a, b, c] = [t.next(), t.next(), t.next()];
  t.deliver([1, 2]);
  assert.deepEqual([await a, await b], [{ value: 1, done: false }, { value: 2, done: false }]);
  t.end(new Error('boom'));
  await assert.rejects(c, /boom/);
  assert.deepEqual(await t.next(), { value: undefined, done: true });
});

/** A flow that always holds the job; `ticks` hears each look of the stream's stall watch (performance.now()). */
function holdingFlow(ticks: (now: number) => void): Flow {
  return { start() {}, took() {}, stop() {}, holding: () => { ticks(performance.now()); return true; } };
}

/** The stall watch's interval is unref'd: this keeps the event loop up while a test awaits what it does. */
async function keptUp<T>(p: Promise<T>): Promise<T> {
  const keep = setInterval(() => {}, 60_000);
  try { return await p; } finally { clearInterval(keep); }
}

/** Resolves at the first look of the watch `ms` or more after `from`, then waits for one more (the tick that looked then has run). */
function watchedFor(ms: number, from: number): { ticks: (now: number) => void; done: Promise<void> } {
  let resolve!: () => void;
  const done = new Promise<void>((r) => { resolve = r; });
  let due = false;
  return { ticks: (now) => { if (due) resolve(); else if (now - from >= ms) due = true; }, done };
}

test('a reader left unread while the job is held is warned about', async () => {
  let stream!: OutputStream<number>;
  const warned = new Promise<number>((resolve) => {
    stream = new OutputStream<number>(() => {}, holdingFlow(() => {}), (_waited, unread) => resolve(unread), 20);
    stream.deliver([1, 2]);
  });
  assert.equal(await keptUp(warned), 2);
  stream.end();
});

// Regression: with checkpoints, records reach a reader only when a checkpoint commits them, and a slow checkpoint
// (1 KB records, 3-5 s each) was reported as "the job has waited 5 s for this reader, which has read nothing since
// (0 records unread ...)" while the reader was waiting in next() for anything to read.
test('a reader waiting in next() for records is not warned about, however long the job is held', async () => {
  const stallMs = 20;
  const stalls: number[] = [];
  const watch = watchedFor(stallMs * 4, performance.now());
  const stream = new OutputStream<number>(() => {}, holdingFlow(watch.ticks), (waited) => stalls.push(waited), stallMs);
  const pending = stream.next();
  await keptUp(watch.done);
  assert.deepEqual(stalls, []);
  stream.deliver([7]);
  assert.deepEqual(await pending, { value: 7, done: false });
  stream.end();
});
