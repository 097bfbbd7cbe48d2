// The main thread's end of the live-record ports: a thread's result (its records since its last batch) can arrive
// before the batches it posted; the attempt must wait for every batch the result counts, or the end's records
// would come first and the batches still in the port's queue be lost when the port closes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectSink, type CollectSinkSpec } from '../../../core/connectors/collect-sink.js';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { LiveRecordPorts } from '../../../core/runtime/live-records.js';
import type { ThreadResult } from '../../../workers/assignment.js';

test('allReceived waits for every batch the threads\' results count, and they reach their sink in order', async () => {
  const sink = collectSink<number>();
  const channels = [new MessageChannel(), new MessageChannel()];
  const ports = new LiveRecordPorts(channels.map((c) => c.port1 as MessagePort), (node) => (node === 7 ? sink as unknown as CollectSinkSpec<unknown> : undefined));
  try {
    // Posted, but not delivered before the main thread's event loop turns.
    channels[0]!.port2.postMessage({ type: 'records', node: 7, subtask: 0, items: [1, 2] });
    channels[1]!.port2.postMessage({ type: 'records', node: 7, subtask: 1, items: [10] });
    channels[0]!.port2.postMessage({ type: 'records', node: 7, subtask: 0, items: [3] });
    const results: ThreadResult[] = [
      { thread: 0, stopped: false, liveBatches: 2 },
      { thread: 1, stopped: false, liveBatches: 1 },
    ];
    await ports.allReceived(results);
    sink.settle();
    assert.deepEqual(sink.committed(), [1, 2, 3, 10]);
    // Nothing counted (a thread that died or was terminated): no wait.
    await ports.allReceived([{ thread: 0, stopped: true }]);
  } finally {
    ports.close();
    for (const c of channels) c.port1.close();
  }
});
