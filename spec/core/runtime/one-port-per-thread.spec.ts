// A thread's messages to and from the main thread share one channel: an attempt made three per thread (the
// coordinator's, live records', sink results'), the last even when no sink returned anything. Each kind's listener
// on the main thread's end takes only its own.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { collectSink, type CollectSinkSpec } from '../../../core/connectors/collect-sink.js';
import { LiveRecordPorts } from '../../../core/runtime/live-records.js';
import { SinkResultPorts } from '../../../core/runtime/sink-result-ports.js';
import { OutputLink } from '../../../workers/output-link.js';
import { SinkResultLink } from '../../../workers/sink-results.js';

test('live records, sink results and the coordinator\'s messages on one port each reach only their own listener', async () => {
  const { port1, port2 } = new MessageChannel();
  const sink = collectSink<number>();
  const live = new LiveRecordPorts([port1 as MessagePort], (node) => (node === 2 ? sink as unknown as CollectSinkSpec<unknown> : undefined));
  const results = new SinkResultPorts([port1 as MessagePort]);
  try {
    const output = new OutputLink(port2 as MessagePort);
    const link = new SinkResultLink(port2 as MessagePort);
    port2.postMessage({ type: 'running', thread: 0 });         // the coordinator's kind: neither takes it
    output.post(2, 0, [1, 2]);
    assert.equal(link.post({ node: 2, subtask: 0, result: [3] }, 'out', 'stopped'), undefined);
    output.post(2, 0, [4]);
    const thread = { thread: 0, stopped: true, liveBatches: output.batches, sinkResults: link.posted };
    await live.allReceived([thread]);
    await results.allReceived([thread]);
    sink.settle();
    assert.deepEqual(sink.committed(), [1, 2, 4], 'the live batches only');
    assert.deepEqual(results.of(thread), [{ node: 2, subtask: 0, result: [3] }], 'the sink result only');
  } finally {
    live.close();
    results.close();
    port1.close();
  }
});
