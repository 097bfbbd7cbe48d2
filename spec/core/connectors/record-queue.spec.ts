// The FIFO between a source's background reading and `read`: order kept under any mix of pushes and takes, and
// the array behind it bounded by what waits (not by all it ever held).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RecordQueue } from '../../../core/connectors/record-queue.js';

const slots = (q: RecordQueue<unknown>): number => (q as unknown as { items: unknown[] }).items.length;

test('property: items come out in the order they went in, whatever the interleaving', () => {
  fc.assert(fc.property(fc.array(fc.oneof(fc.constant(-1), fc.nat(100))), (ops) => {
    const q = new RecordQueue<number>();
    const model: number[] = [];
    for (const op of ops) {
      if (op < 0) {
        if (model.length === 0) continue;
        assert.equal(q.take(), model.shift());
      } else {
        q.push(op);
        model.push(op);
      }
      assert.equal(q.size, model.length);
    }
  }));
});

// Regression: a consumer that never quite caught up kept a slot per item ever queued (2.7 M slots for 7.5 k waiting).
test('a consumer that stays a little behind: the array stays near what waits', () => {
  const q = new RecordQueue<number>();
  let next = 0;
  for (let i = 0; i < 10; i++) q.push(next++);
  let most = 0;
  for (let round = 0; round < 100_000; round++) {
    q.push(next++);
    q.push(next++);
    q.take();
    q.take();
    most = Math.max(most, slots(q));
  }
  assert.equal(q.size, 10);
  assert.ok(most <= 2 * 1024 + 10, `${most} slots for 10 waiting`);
});
