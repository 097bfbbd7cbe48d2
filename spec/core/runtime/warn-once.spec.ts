// warnOnce: a run's warnings said once per key, however often their cause comes back.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warnOnce } from '../../../core/runtime/warn-once.js';

test('warnOnce says the first message of each key and no later one', () => {
  const said: string[] = [];
  const once = warnOnce((m) => said.push(m));
  once('a', 'a first');
  once('a', 'a again');
  once('b', 'b first');
  once('a', 'a third');
  assert.deepEqual(said, ['a first', 'b first']);
});
