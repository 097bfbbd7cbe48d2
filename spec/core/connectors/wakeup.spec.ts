// The wake-up behind every non-blocking reader's ready(): no wake-up is lost, whoever comes first.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wakeup } from '../../../core/connectors/wakeup.js';

test('a notify before the wait is remembered once; a notify during a wait resolves every waiter', async () => {
  const w = new Wakeup();
  w.notify();
  await w.wait(); // resolves: the earlier notify was kept
  let resolved = 0;
  const a = w.wait().then(() => resolved++);
  const b = w.wait().then(() => resolved++);
  await Promise.resolve();
  assert.equal(resolved, 0, 'nothing notified since the remembered one was used');
  w.notify();
  await Promise.all([a, b]);
  assert.equal(resolved, 2);
});
