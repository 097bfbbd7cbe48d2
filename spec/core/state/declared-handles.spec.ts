// A state handle asked for again as it was declared (same kind, options object and function) comes back from the
// backend's table of states without slot's checks (a fast path, RunOptions.stateFastPaths): with it on and off, the
// handle is the same object, follows the current key across key switches and restores, and every declaration that
// differs is still checked and refused.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedStateBackend, WINDOW_STATE_PREFIX } from '../../../core/state/keyed-state-backend.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import type { StateOptions } from '../../../core/api/state.js';
import { ManualClocks } from './fixtures.js';

const backend = (fastPaths: boolean): KeyedStateBackend => new KeyedStateBackend('op', 16, true, new ManualClocks(), true, fastPaths);
const add = (a: number, b: number): number => a + b;

for (const fastPaths of [true, false]) {
  describe(`state handles asked for per record (fast paths ${fastPaths ? 'on' : 'off'})`, () => {
    test('the same handle every time, reading and writing the current key across key switches', () => {
      const b = backend(fastPaths);
      b.currentKey = 'a';
      const h = b.valueState<number>('v');
      h.update(1);
      b.currentKey = 'b';
      assert.equal(b.valueState<number>('v'), h);
      assert.equal(h.value(), undefined, 'a handle from key a reads key b once the key is b');
      h.update(2);
      b.currentKey = 'a';
      assert.equal(b.valueState<number>('v').value(), 1);
      const r = b.reducingState<number>('r', add);
      r.add(3);
      r.add(4);
      assert.equal(b.reducingState<number>('r', add), r);
      assert.equal(b.reducingState<number>('r', add).get(), 7);
      const agg = { createAccumulator: () => 0, add: (x: number, acc: number) => acc + x, getResult: (acc: number) => acc * 10, merge: add };
      assert.equal(b.aggregatingState('g', agg), b.aggregatingState('g', agg));
      assert.equal(b.listState('l'), b.listState('l'));
      assert.equal(b.mapState('m'), b.mapState('m'));
    });

    test('a declaration that differs is refused after the handle was asked for as declared', () => {
      const b = backend(fastPaths);
      b.currentKey = 'a';
      const ttl: StateOptions = { ttl: { ttlMs: 1000 } };
      b.valueState('v', ttl);
      b.valueState('v', ttl);
      assert.throws(() => b.valueState('v'), JobDefinitionError, 'declared with a TTL, asked for without one');
      assert.throws(() => b.valueState('v', { ttl: { ttlMs: 2000 } }), JobDefinitionError);
      // An equal options object made per call is the same declaration.
      assert.equal(b.valueState('v', { ttl: { ttlMs: 1000 } }), b.valueState('v', ttl));
      assert.throws(() => b.listState('v', ttl), /is a value state, not a list state/);
      b.reducingState<number>('r', add);
      assert.throws(() => b.reducingState<number>('r', (x, y) => x * y), JobDefinitionError, 'another reduce function');
      b.typedTable('typed', [], 'spec');
      assert.throws(() => b.valueState('typed'), /has a state schema/);
    });

    // Regression: the options object a state was declared with, changed and passed again, was taken as the same
    // declaration by identity, so the new TTL was ignored without a word.
    test('the same options object changed after the declaration is refused', () => {
      const b = backend(fastPaths);
      b.currentKey = 'a';
      const opts: StateOptions = { ttl: { ttlMs: 1000 } };
      b.valueState('v', opts);
      b.valueState('v', opts);
      opts.ttl!.ttlMs = 2000;
      assert.throws(() => b.valueState('v', opts), /declared with a TTL of 1000 ms .* and again with a TTL of 2000 ms/);
      const none: StateOptions = {};
      b.listState('l', none);
      b.listState('l', none);
      none.ttl = { ttlMs: 500 };
      assert.throws(() => b.listState('l', none), /declared with no TTL, and again with a TTL of 500 ms/);
      delete none.ttl;
      assert.equal(b.listState('l', none), b.listState('l'), 'changed back: the same declaration');
    });

    test('restored state: the first handle is checked against what the checkpoint recorded, then reads what it restored', () => {
      const a = backend(fastPaths);
      a.currentKey = 'k';
      a.listState<number>('l').add(5);
      a.valueState<number>('v').update(6);
      const { chunks } = a.snapshot(false);
      const b = backend(fastPaths);
      const held = b.valueState<number>('v');
      b.restore(chunks);
      b.currentKey = 'k';
      assert.equal(b.valueState<number>('v'), held, 'declared before the restore: the same handle after it');
      assert.equal(held.value(), 6);
      assert.throws(() => b.valueState('l'), /checkpointed as a list state/);
      assert.deepEqual(b.listState<number>('l').get(), [5]);
      assert.equal(b.listState('l'), b.listState('l'));
    });
  });
}

// Regression (a review): a state of the job's own named '__window/x' shared its table with a window function's
// windowState 'x' (its reads came back undefined). The prefix is the engine's: refused, naming the operator.
test('a state name under the window states\' prefix is refused, a window state of that name still made', () => {
  const b = backend(true);
  assert.throws(() => b.valueState(`${WINDOW_STATE_PREFIX}x`), (e: unknown) => e instanceof JobDefinitionError && /operator 'op': state '__window\/x': names starting with '__window\/' are the engine's/.test(e.message));
  assert.ok(b.windowTable('x', 'value') !== undefined);
});
