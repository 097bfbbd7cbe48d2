// A sink's array result (a cancelled collect sink's records) goes to the main thread in parts, so the main thread
// takes one in while the worker copies the next: one post of ~3 M records had each side wait for the other's whole
// copy (a cancel's handover took both). The parts are joined again, and a result one part of which cannot be sent
// is left out whole, as one post was.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { SinkResultLink } from '../../workers/sink-results.js';
import { MAX_PART } from '../../core/operators/timed-parts.js';
import { SinkResultPorts } from '../../core/runtime/sink-result-ports.js';
import { OperatorError } from '../../core/api/errors.js';

test('an array result longer than a part is posted in parts and received as one result, in order', async () => {
  const { port1, port2 } = new MessageChannel();
  const ports = new SinkResultPorts([port1 as MessagePort]);
  try {
    const link = new SinkResultLink(port2 as MessagePort);
    const records = Array.from({ length: 2 * MAX_PART + 3 }, (_, i) => ({ i }));
    assert.equal(link.post({ node: 4, subtask: 1, result: records }, 'out', 'stopped'), undefined);
    const parts = link.posted;
    assert.ok(parts >= 3, `at least three parts, got ${parts}`);
    assert.equal(link.post({ node: 5, subtask: 0, result: 'small' }, 'other', 'stopped'), undefined);
    assert.equal(link.posted, parts + 1, 'the parts, then the other sink\'s result');
    const thread = { thread: 0, stopped: true, sinkResults: link.posted };
    await ports.allReceived([thread]);
    const got = ports.of(thread);
    assert.deepEqual(got.map((r) => [r.node, r.subtask]), [[4, 1], [5, 0]]);
    assert.deepEqual(got[0]!.result, records);
    assert.equal(got[1]!.result, 'small');
  } finally {
    ports.close();
    port1.close();
  }
});

test('a result one of whose parts cannot be sent is left out whole, and the failure names its sink', async () => {
  const { port1, port2 } = new MessageChannel();
  const ports = new SinkResultPorts([port1 as MessagePort]);
  try {
    const link = new SinkResultLink(port2 as MessagePort);
    const records: unknown[] = Array.from({ length: 2 * MAX_PART }, (_, i) => ({ i }));
    records[MAX_PART + 5] = { f: () => 1 };
    const e = link.post({ node: 4, subtask: 1, result: records }, 'out', 'stopped');
    assert.ok(e instanceof OperatorError && e.operator === 'out' && e.hook === 'stopped', String(e));
    assert.equal(link.post({ node: 5, subtask: 0, result: [1, 2] }, 'other', 'stopped'), undefined);
    const thread = { thread: 0, stopped: true, sinkResults: link.posted };
    await ports.allReceived([thread]);
    assert.deepEqual(ports.of(thread).map((r) => [r.node, r.result]), [[5, [1, 2]]]);
  } finally {
    ports.close();
    port1.close();
  }
});
