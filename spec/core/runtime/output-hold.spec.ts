// Readers of collect sinks hold a checkpointed run's sources upstream of them (shm/layout.ts, output hold): from
// the bound unread to half of it, counted per source over sinks, carried into the next attempt, rung only when a
// source is let go.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OutputHold, OutputHolds, upstreamSources } from '../../../core/runtime/output-hold.js';
import { OutputStream } from '../../../core/runtime/output-stream.js';
import { StreamEnvironment } from '../../../core/index.js';

test('output hold: set at the bound unread, let go at half of it, counted per source over sinks, a ring only when a source is let go', () => {
  // Sink 3 reads source 0; sink 5 reads sources 0 and 1.
  const slots = new Int32Array(6);
  let rings = 0;
  const holds = new OutputHolds((sink) => (sink === 3 ? [0] : [0, 1]));
  holds.attach(slots, () => { rings++; });
  const a = new OutputHold(holds, 3, 10);
  const b = new OutputHold(holds, 5, 4);
  a.queued(9);
  assert.deepEqual([...slots], [0, 0, 0, 0, 0, 0]);
  a.queued(10);
  assert.deepEqual([...slots], [1, 0, 0, 0, 0, 0]);
  a.queued(30);
  assert.deepEqual([...slots], [1, 0, 0, 0, 0, 0], 'one sink counts once');
  b.queued(4);
  assert.deepEqual([...slots], [2, 1, 0, 0, 0, 0]);
  a.took(6);
  assert.equal(slots[0], 2, 'still more than half the bound unread');
  a.took(5);
  assert.deepEqual([...slots], [1, 1, 0, 0, 0, 0]);
  assert.equal(rings, 0, 'another sink still holds both: no ring');
  b.stop();
  assert.deepEqual([...slots], [0, 0, 0, 0, 0, 0]);
  assert.equal(rings, 1);
  a.took(0);
  assert.equal(rings, 1, 'nothing to let go: no ring');
});

test('output hold: a new attempt starts held while a reader is behind; between attempts nothing is written', () => {
  const first = new Int32Array(2);
  const holds = new OutputHolds(() => [1]);
  holds.attach(first, () => {});
  const h = new OutputHold(holds, 0, 2);
  h.queued(2);
  holds.detach();
  h.queued(3);
  const second = new Int32Array(2);
  holds.attach(second, () => {});
  assert.deepEqual([...second], [0, 1]);
  h.took(1);
  assert.deepEqual([...second], [0, 0]);
  assert.deepEqual([...first], [0, 1], 'the old attempt\'s buffer is left alone');
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
