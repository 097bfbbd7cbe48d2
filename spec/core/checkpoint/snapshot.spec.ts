// subtaskKey: the one key of a (task, subtask) pair in every per-subtask map that crosses threads (splits,
// restores, checkpoint acknowledgements). The coordinator parses it back to name a subtask that is late.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subtaskKey } from '../../../core/checkpoint/snapshot.js';
import { subtaskKey as reexported } from '../../../workers/assignment.js';

test('distinct pairs get distinct keys, and a key parses back to its pair', () => {
  const seen = new Map<string, string>();
  for (let task = 0; task < 30; task++) {
    for (let subtask = 0; subtask < 30; subtask++) {
      const k = subtaskKey(task, subtask);
      // Without a separator, (1, 12) and (11, 2) would collide.
      assert.equal(seen.get(k), undefined, `${k}: (${task}, ${subtask}) and ${seen.get(k)}`);
      seen.set(k, `(${task}, ${subtask})`);
      // As the coordinator reads it back.
      assert.deepEqual(k.split('/').map(Number), [task, subtask]);
    }
  }
});

test('the workers see the same key as the main thread (assignment re-exports it)', () => {
  assert.equal(reexported, subtaskKey);
});
