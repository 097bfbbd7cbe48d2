// Readers of collect sinks hold a checkpointed run's sources upstream of them (shm/layout.ts, output hold): the
// main thread's side sets the limit on what the sink's subtasks take, from what the reader has read and has
// unread and what the attempt has committed; raised each half bound, rung only when the sources had reached it,
// set afresh in each attempt.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputHold, OutputHolds, heldBySinks, upstreamSources } from '../../../core/runtime/output-hold.js';
import { OutputStream } from '../../../core/runtime/output-stream.js';
import { StreamEnvironment } from '../../../core/index.js';
import { OUTPUT_HOLD_LIMIT, OUTPUT_HOLD_ON, OUTPUT_HOLD_SLOTS, OUTPUT_HOLD_TAKEN, outputHoldBytes } from '../../../shm/layout.js';

const SINK = 3;
const line = (lines: Int32Array): { on: number; limit: number } => ({ on: lines[SINK * OUTPUT_HOLD_SLOTS + OUTPUT_HOLD_ON]!, limit: lines[SINK * OUTPUT_HOLD_SLOTS + OUTPUT_HOLD_LIMIT]! });
const take = (lines: Int32Array, n: number): void => { lines[SINK * OUTPUT_HOLD_SLOTS + OUTPUT_HOLD_TAKEN]! += n; };

test('output hold: held once the sink took the bound, committed or not; commits move no limit; raised each half bound read, rung only when the sources had reached it', () => {
  const lines = new Int32Array(outputHoldBytes(6) / 4);
  let published = 0;
  let rings = 0;
  const holds = new OutputHolds([SINK], () => published);
  holds.attach(lines, () => { rings++; });
  const h = new OutputHold(holds, SINK, 10);
  assert.deepEqual(line(lines), { on: 0, limit: 0 }, 'no reader: the sources look at nothing');
  h.start();
  assert.deepEqual(line(lines), { on: 1, limit: 10 });
  take(lines, 9);
  assert.equal(h.holding(), false);
  take(lines, 1);
  assert.equal(h.holding(), true, 'the bound taken, none of it committed');
  // A checkpoint commits 6 of them: they wait unread, as many as before are taken and unread.
  published += 6;
  h.queued(6);
  assert.equal(line(lines).limit, 10);
  for (let unread = 5; unread > 1; unread--) h.took(unread);
  assert.deepEqual([line(lines).limit, rings], [10, 0], 'raised each half bound, not each record');
  h.took(1);
  assert.deepEqual([line(lines).limit, rings, h.holding()], [15, 1, false], 'raised by what was read; the sources had reached the old limit: rung');
  h.took(0);
  for (let k = 0; k < 4; k++) h.took(0);
  assert.deepEqual([line(lines).limit, rings], [20, 1], 'raised with the sources below the old limit: no ring');
  h.stop();
  assert.deepEqual([line(lines).on, rings], [0, 2], 'stopped: off, and rung (sources may be parked on it)');
});

test('output hold: an attempt counts from 0 (what a failed one took uncommitted is forgotten); a reader that comes mid-attempt counts what it committed', () => {
  let published = 5;
  const holds = new OutputHolds([SINK], () => published);
  const first = new Int32Array(outputHoldBytes(6) / 4);
  holds.attach(first, () => {});
  // The attempt commits 8, then the sink takes 20 in all before a reader comes: its 13 committed records wait for it.
  published += 8;
  take(first, 20);
  const h = new OutputHold(holds, SINK, 10);
  h.queued(13);
  h.start();
  // Taken and unread: 13 unread + 12 uncommitted = 25, the bound is 10.
  assert.deepEqual(line(first), { on: 1, limit: 5 });
  for (let unread = 12; unread >= 0; unread--) h.took(unread);
  assert.deepEqual([line(first).limit, h.holding()], [15, true], 'all 13 read, raised at 5 and 10 read: 12 taken uncommitted still hold it');
  // The attempt fails: its 12 uncommitted records are never delivered. Between attempts nothing is written.
  holds.detach();
  h.queued(0);
  const second = new Int32Array(outputHoldBytes(6) / 4);
  // The restore publishes the checkpoint that committed 4 more of them, before the next attempt starts.
  published += 4;
  h.queued(4);
  holds.attach(second, () => {});
  assert.deepEqual(line(second), { on: 1, limit: 6 }, 'the bound less what waits unread, in the new attempt\'s count');
  assert.deepEqual(line(first), { on: 1, limit: 15 }, 'the old attempt\'s buffer is left alone');
});

test('held by sinks: a source looks at the collect sinks downstream of it, not other pipelines\' nor other sinks', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection([1]).name('a');
  const b = env.fromCollection([2]).name('b');
  a.union(b).collect().name('ab');
  a.print().name('printed');
  b.collect().name('b-only');
  const g = env.graph;
  const id = (name: string): number => g.nodes.find((n) => n.name === name)!.id;
  assert.deepEqual(heldBySinks(g, id('a')), [id('ab')]);
  assert.deepEqual(heldBySinks(g, id('b')), [id('ab'), id('b-only')].sort((x, y) => x - y));
});

test('upstream sources: every path back, through unions, keyed exchanges and two-input operators; not the other pipelines', () => {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection([1]).name('a');
  const b = env.fromCollection([2]).name('b');
  const c = env.fromCollection([3]).name('c');
  a.union(b.map((x) => x + 1)).keyBy((x) => x % 2).reduce((x, y) => x + y).collect().name('ab');
  c.collect().name('c-only');
  const g = env.graph;
  const id = (name: string): number => g.nodes.find((n) => n.name === name)!.id;
  assert.deepEqual(upstreamSources(g, id('ab')), [id('a'), id('b')].sort((x, y) => x - y));
  assert.deepEqual(upstreamSources(g, id('c-only')), [id('c')]);
});

test('output stream: tells its flow what waits unread as records come and go', async () => {
  const seen: string[] = [];
  const s = new OutputStream<number>(() => {}, { start() {}, queued: (n) => seen.push(`q${n}`), took: (n) => seen.push(`t${n}`), stop: () => seen.push('stop'), holding: () => false });
  const waiting = s.next();
  s.deliver([1, 2, 3]);
  assert.deepEqual(await waiting, { value: 1, done: false });
  await s.next();
  s.deliver([]);
  await s.return();
  assert.deepEqual(seen, ['t0', 'q2', 't1', 'stop']);
});

test('output stream: a reader that holds the job and reads nothing is told of once per stall, and only while it holds', async (t) => {
  // A clock stepped by the test: its watch's interval (stallMs / 2) and performance.now move together.
  let now = 1000;
  t.mock.method(performance, 'now', () => now);
  t.mock.timers.enable({ apis: ['setInterval'] });
  const pass = (ms: number): void => { for (let k = 0; k < ms; k++) { now++; t.mock.timers.tick(1); } };
  let holding = false;
  const told: number[] = [];
  const s = new OutputStream<number>(() => {}, { start() {}, took() {}, stop() {}, holding: () => holding }, (_ms, unread) => told.push(unread), 20);
  s.deliver([1, 2, 3]);
  // Not holding: a reader may take its time, and that time is not counted once the hold comes (regression: warned at
  // once, "waited 6 s", for a hold of 6 ms).
  pass(60);
  assert.deepEqual(told, []);
  holding = true;
  pass(29);
  assert.deepEqual(told, [], 'not before the hold lasted stallMs (seen at the first watch after it began)');
  pass(1);
  assert.deepEqual(told, [3]);
  pass(60);
  assert.deepEqual(told, [3], 'once per stall');
  // A read ends the stall; the next one is told of again.
  await s.next();
  pass(19);
  assert.deepEqual(told, [3]);
  pass(1);
  assert.deepEqual(told, [3, 2]);
  await s.return();
});
