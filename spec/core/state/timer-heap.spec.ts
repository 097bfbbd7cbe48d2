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
