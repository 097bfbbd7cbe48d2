// OutputLink: a thread's live records of collect sinks (untransactional runs), posted to the main thread. The main
// thread waits for as many batches as `batches` says before it takes the thread's result: a batch counted but
// never posted would hold it for its whole bound, one posted but not counted could be overtaken by the result.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { MessageChannel } from 'node:worker_threads';
import { OutputLink, type LiveRecords } from '../../workers/output-link.js';

test('each post arrives as one message with its node, subtask and items, in order, and is counted', async () => {
  const { port1, port2 } = new MessageChannel();
  try {
    const got: LiveRecords[] = [];
    port1.on('message', (m: LiveRecords) => { got.push(m); });
    const link = new OutputLink(port2);
    assert.equal(link.batches, 0);
    link.post(3, 0, [1, 2]);
    link.post(3, 1, [{ a: 'x' }]);
    link.post(5, 0, []);
    assert.equal(link.batches, 3);
    while (got.length < 3) await once(port1, 'message');
    assert.deepEqual(got, [
      { type: 'records', node: 3, subtask: 0, items: [1, 2] },
      { type: 'records', node: 3, subtask: 1, items: [{ a: 'x' }] },
      { type: 'records', node: 5, subtask: 0, items: [] },
    ]);
  } finally {
    port1.close();
  }
});

test('the items are copied when posted: a writer reusing its array afterwards changes nothing that was sent', async () => {
  const { port1, port2 } = new MessageChannel();
  try {
    const link = new OutputLink(port2);
    const items = [1, 2];
    const arrived = once(port1, 'message');
    link.post(0, 0, items);
    items.length = 0;
    items.push(9);
    const [m] = await arrived as [LiveRecords];
    assert.deepEqual(m.items, [1, 2]);
  } finally {
    port1.close();
  }
});

test('a batch that cannot be posted throws and is not counted', () => {
  const { port1, port2 } = new MessageChannel();
  try {
    const link = new OutputLink(port2);
    assert.throws(() => link.post(0, 0, [() => 1]), (e: Error) => e.name === 'DataCloneError');
    assert.equal(link.batches, 0);
  } finally {
    port1.close();
  }
});
