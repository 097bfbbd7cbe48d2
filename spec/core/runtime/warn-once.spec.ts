// warnOnce: a run's warning said the first time its key comes, not again; other keys, and another run's, apart.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warnOnce } from '../../../core/runtime/warn-once.js';

test('each key is said once; another key, or another run (another warnOnce), says its own', () => {
  const said: string[] = [];
  const once = warnOnce((m) => said.push(m));
  once('a', 'first a');
  once('a', 'second a');
  once('b', 'first b');
  const other = warnOnce((m) => said.push(m));
  other('a', 'other run a');
  assert.deepEqual(said, ['first a', 'first b', 'other run a']);
});
