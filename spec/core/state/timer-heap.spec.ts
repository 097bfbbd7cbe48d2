// TimerHeap: a min-heap of (timestamp, key) in parallel arrays: pops in timestamp order, keeps every pair.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TimerHeap } from '../../../core/state/timer-heap.js';

test('an empty heap peeks Infinity', () => {
  const h = new TimerHeap();
  assert.equal(h.peekTime(), Infinity);
  assert.equal(h.size, 0);
});

test('property: pops come out in timestamp order and hold exactly what was pushed (model: a sorted array)', () => {
  type Op = { push: true; t: number; k: string } | { push: false };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ push: fc.constant(true as const), t: fc.integer({ min: -50, max: 50 }), k: fc.string({ maxLength: 2 }) }),
    fc.record({ push: fc.constant(false as const) }),
  );
  fc.assert(fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
    const h = new TimerHeap();
    const model: [number, string][] = [];
    for (const o of ops) {
      if (o.push) { h.push(o.t, o.k); model.push([o.t, o.k]); continue; }
      if (model.length === 0) { assert.equal(h.peekTime(), Infinity); continue; }
      const t = h.peekTime();
      const k = h.peekKey();
      const min = Math.min(...model.map((m) => m[0]));
      assert.equal(t, min);
      const i = model.findIndex((m) => m[0] === t && m[1] === k);
      assert.ok(i >= 0, `popped (${t}, ${k}) that was never pushed or was popped already`);
      model.splice(i, 1);
      h.pop();
      assert.equal(h.size, model.length);
    }
    // Drain: the rest in order.
    let last = -Infinity;
    while (h.size > 0) { assert.ok(h.peekTime() >= last); last = h.peekTime(); h.pop(); }
    h.clear();
    assert.equal(h.peekTime(), Infinity);
  }));
});

// Regression: V8 keeps an array's capacity as it pops, so a heap the final watermark had emptied of a million timers
// still held ~20 MB. Emptied past a quarter of its peak, it moves to arrays of its size (order kept).
test('a heap that empties gives its arrays\' memory back, and pops in order across the copies', async () => {
  const { setFlagsFromString } = await import('node:v8');
  const { runInNewContext } = await import('node:vm');
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const heap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed; };
  const h = new TimerHeap();
  const n = 300_000;
  const before = heap();
  for (let i = 0; i < n; i++) h.push((i * 7919) % n + 0.5, 'k');
  const full = heap() - before;
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    const t = h.peekTime();
    assert.ok(t >= last, `pop ${i}: ${t} after ${last}`);
    last = t;
    h.pop();
  }
  assert.equal(h.size, 0);
  const left = heap() - before;
  assert.ok(left < full / 10, `held ${(left / 1e6).toFixed(1)} MB of the ${(full / 1e6).toFixed(1)} MB`);
});
