// packAtBarrier: state packed on a subtask's thread at the barrier, read back as checkpoint chunks are. An
// exact-size copy, each pack readable alone, and what msgpack cannot keep a JobDefinitionError saying what held it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packAtBarrier } from '../../../core/operators/barrier-pack.js';
import { chunkPackr } from '../../../core/checkpoint/chunk-packr.js';
import { JobDefinitionError } from '../../../core/api/errors.js';

test('an exact-size copy of its own (a view of msgpackr\'s shared buffer would carry the whole buffer across threads)', () => {
  const bytes = packAtBarrier(new Map([['a', { limit: 1 }]]), 'x', 'y');
  assert.equal(bytes.byteOffset, 0);
  assert.equal(bytes.buffer.byteLength, bytes.byteLength);
  assert.deepEqual(chunkPackr().unpack(bytes), new Map([['a', { limit: 1 }]]));
});

// A Packr reused across packs writes a record shape once and refers to it after: the second pack alone does not read.
test('each pack reads back alone: the record shapes an earlier pack wrote are written again', () => {
  const first = packAtBarrier([{ limit: 1 }], 'x', 'y');
  const second = packAtBarrier([{ limit: 2 }], 'x', 'y');
  assert.deepEqual(chunkPackr().unpack(second), [{ limit: 2 }]);
  assert.deepEqual(chunkPackr().unpack(first), [{ limit: 1 }]);
});

test('what msgpack cannot keep: a JobDefinitionError naming what held it, with the hint', () => {
  const cases: [unknown, string][] = [
    [{ f() {} }, "broadcast state 'rules' holds a function, which a checkpoint cannot keep: put data in it"],
    [[new WeakSet()], "broadcast state 'rules' holds a WeakSet, which a checkpoint cannot keep: put data in it"],
    [new Map([[1, { ref: new WeakRef({}) }]]), "broadcast state 'rules' holds a WeakRef, which a checkpoint cannot keep: put data in it"],
    [Symbol('s'), "broadcast state 'rules' cannot be written to a checkpoint (Unknown type: symbol): put data in it"],
  ];
  for (const [value, message] of cases) {
    assert.throws(() => packAtBarrier(value, "broadcast state 'rules'", 'put data in it'), (e: Error) => e instanceof JobDefinitionError && e.message === message, message);
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => packAtBarrier(cycle, 'it', 'h'), (e: Error) => e instanceof JobDefinitionError && /^it cannot be written to a checkpoint \(.+\): h$/.test(e.message));
});
