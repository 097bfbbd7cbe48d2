// Keys → key groups → subtasks: deterministic, in range, and every key group owned by exactly one subtask.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hashKey, keyGroupFor, keyGroupRange, subtaskForKeyGroup } from '../../../core/graph/key-groups.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { KeyTypeError, canonicalKey } from '../../../core/graph/tuple-key.js';

test('equal keys hash equal; numbers, strings, bigints and booleans are keys', () => {
  fc.assert(fc.property(fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true }), fc.bigInt(), fc.boolean()), (k) => {
    assert.equal(hashKey(k), hashKey(k));
    const g = keyGroupFor(k, 128);
    assert.ok(g >= 0 && g < 128);
  }));
  assert.throws(() => hashKey({} as never), JobDefinitionError);
});

test('key group ranges partition the key groups, and agree with subtaskForKeyGroup', () => {
  for (const max of [1, 7, 128]) {
    for (let p = 1; p <= Math.min(max, 9); p++) {
      for (let s = 0; s < p; s++) {
        const [a, b] = keyGroupRange(s, max, p);
        for (let g = a; g < b; g++) assert.equal(subtaskForKeyGroup(g, max, p), s);
      }
      assert.equal(keyGroupRange(p - 1, max, p)[1], max);
    }
  }
});

test('string keys spread over key groups', () => {
  const counts = new Array(128).fill(0);
  for (let i = 0; i < 12_800; i++) counts[keyGroupFor(`k${i}`, 128)]++;
  assert.ok(Math.min(...counts) > 50 && Math.max(...counts) < 150, `${Math.min(...counts)}..${Math.max(...counts)}`);
});

test('a string key with a lone surrogate is a KeyTypeError (a ring and a checkpoint would keep U+FFFD instead); pairs hash as before', () => {
  for (const k of ['\ud800', 'a\udc00b', 'x\ud83d', canonicalKey(['u', '\ud800'])]) {
    assert.throws(() => hashKey(k as string), (e: unknown) => e instanceof KeyTypeError && /lone surrogate/.test(e.message), JSON.stringify(k));
  }
  assert.equal(hashKey('\ud83d\ude00'), hashKey('😀'));
  fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (k) => { assert.equal(typeof hashKey(k), 'number'); }));
});
