// CheckpointLink moves snapshot chunks to the coordinator: a chunk that fills its own buffer is transferred as is
// (no copy); a view into a bigger buffer, or a second view of a buffer already moved, is copied, so the bytes that
// arrive are the chunk's and nothing else the thread uses is detached.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { once } from 'node:events';
import { CheckpointLink } from '../../workers/checkpoint-link.js';
import type { WorkerMessage } from '../../core/checkpoint/messages.js';
import type { KeyGroupChunk } from '../../core/checkpoint/snapshot.js';

const chunk = (keyGroup: number, bytes: Uint8Array): KeyGroupChunk => ({ keyGroup, full: true, entries: 1, changed: 1, bytes });

test('own buffers are moved without a copy; views into shared buffers are copied and stay usable', async () => {
  const { port1, port2 } = new MessageChannel();
  const link = new CheckpointLink(port1, () => {});
  try {
    const own = new Uint8Array([1, 2, 3]);
    const arena = new Uint8Array([9, 9, 4, 5, 6, 9]);
    const view = arena.subarray(2, 5);
    const twice = new Uint8Array([7, 8]);
    const received = once(port2, 'message');
    link.ack(5, { task: 0, subtask: 0, operators: [{ uid: 'sum', snapshot: { keyed: [chunk(0, own), chunk(1, view), chunk(2, twice), chunk(3, twice)] } }] }, 1);
    const [m] = (await received) as [WorkerMessage];
    assert.equal(m.type, 'ack');
    const got = m.type === 'ack' ? m.snapshot.operators[0]!.snapshot.keyed!.map((c) => [...c.bytes]) : [];
    assert.deepEqual(got, [[1, 2, 3], [4, 5, 6], [7, 8], [7, 8]]);
    assert.equal(own.byteLength, 0, 'a chunk in its own buffer is moved (detached here)');
    assert.deepEqual([...arena], [9, 9, 4, 5, 6, 9], 'the arena a view points into stays usable');
  } finally {
    link.close();
    port2.close();
  }
});
