// The reader behind handle.output(): records in order whether they were queued or awaited, the end or the error
// only after every queued record, and an early return handing back what was not read.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputStream } from '../../../core/runtime/output-stream.js';

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
