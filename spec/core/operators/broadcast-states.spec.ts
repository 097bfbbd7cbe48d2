// BroadcastStates: the broadcast maps of one operator instance. Written only through the broadcast input's context,
// read through a view without writes, snapshotted as copies taken at the barrier (packed, format 2, or cloned with
// stateFastPaths off, format 1), and restored whole from either (states the job no longer declares dropped).
// Undeclared descriptors are a JobDefinitionError naming the operator and state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BROADCAST_STATE, BROADCAST_STATE_PACKED, BroadcastStates, broadcastContext, broadcastItemEntries, type PackedBroadcastState,
} from '../../../core/operators/broadcast-states.js';
import { chunkPackr } from '../../../core/checkpoint/chunk-packr.js';
import { readFileSync } from 'node:fs';
import { MapStateDescriptor } from '../../../core/api/broadcast-state.js';
import { OutputTag } from '../../../core/api/output-tag.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { TaskContext } from '../../../core/operators/task-context.js';

const rules = new MapStateDescriptor<string, { limit: number }>('rules');
const flags = new MapStateDescriptor<number, boolean>('flags');

test('a declared state is written through writable and read through readOnly (the same map); the view has no writes', () => {
  const s = new BroadcastStates('op', ['rules', 'flags']);
  const w = s.writable(rules);
  const r = s.readOnly(rules);
  w.put('a', { limit: 1 });
  w.put('b', { limit: 2 });
  assert.deepEqual(r.get('a'), { limit: 1 });
  assert.equal(r.contains('b'), true);
  assert.equal(r.contains('z'), false);
  assert.equal(r.get('z'), undefined);
  assert.equal(r.size, 2);
  assert.deepEqual(r.keys(), ['a', 'b']);
  assert.deepEqual(r.values(), [{ limit: 1 }, { limit: 2 }]);
  assert.deepEqual(r.entries(), [['a', { limit: 1 }], ['b', { limit: 2 }]]);
  for (const m of ['put', 'remove', 'clear']) assert.equal((r as unknown as Record<string, unknown>)[m], undefined, `the view has no ${m}`);
  w.remove('a');
  assert.deepEqual(r.keys(), ['b']);
  // States are separate maps.
  assert.equal(s.readOnly(flags).size, 0);
  w.clear();
  assert.equal(r.size, 0);
});

test('writable and readOnly hand out the same objects each time (operators keep them across records)', () => {
  const s = new BroadcastStates('op', ['rules']);
  assert.equal(s.writable(rules), s.writable(rules));
  assert.equal(s.readOnly(rules), s.readOnly(rules));
  // A second descriptor of the same name is the same state.
  assert.equal(s.writable(new MapStateDescriptor<string, { limit: number }>('rules')), s.writable(rules));
});

test('entries, keys and values are copies: changing them changes no state', () => {
  const s = new BroadcastStates('op', ['rules']);
  const w = s.writable(rules);
  w.put('a', { limit: 1 });
  const entries = s.readOnly(rules).entries();
  entries.push(['x', { limit: 9 }]);
  s.readOnly(rules).keys().push('y');
  assert.equal(w.size, 1);
  assert.deepEqual(s.entries('rules'), [['a', { limit: 1 }]]);
});

test('an undeclared state is a JobDefinitionError naming the operator and the state, from either side', () => {
  const s = new BroadcastStates('enrich', ['rules']);
  for (const get of [() => s.writable(flags), () => s.readOnly(flags)]) {
    assert.throws(get, (e: Error) => e instanceof JobDefinitionError && /operator 'enrich': broadcast state 'flags' was not declared/.test(e.message));
  }
  // Not a descriptor at all: the same typed error, not a TypeError.
  assert.throws(() => s.writable(undefined as never), JobDefinitionError);
  assert.throws(() => s.readOnly(undefined as never), JobDefinitionError);
  // No states declared at all (the broadcast input is broadcast() with no descriptors): said so, from either side.
  const none = new BroadcastStates('enrich', []);
  for (const get of [() => none.writable(rules), () => none.readOnly(rules)]) {
    assert.throws(get, (e: Error) => e instanceof JobDefinitionError
      && e.message === "operator 'enrich' has no broadcast state (its broadcast input is broadcast() with no descriptors): getBroadcastState('rules') needs its descriptor passed to broadcast(...)");
  }
  assert.deepEqual(none.snapshotItems(true), []);
  assert.deepEqual(none.snapshotItems(false), []);
});

/** As the coordinator writes a subtask's non-keyed items to a chunk and restore.ts reads them back. */
const throughChunk = (items: unknown[]): unknown[] => chunkPackr().unpack(chunkPackr().pack(items)) as unknown[];

test('snapshotItems packed (format 2): an item per state with entries, its map\'s bytes, taken now', () => {
  const s = new BroadcastStates('op', ['rules', 'flags', 'empty']);
  assert.deepEqual(s.snapshotItems(true), [], 'empty states: no items (no part written)');
  const value = { limit: 1 };
  s.writable(rules).put('a', value);
  s.writable(flags).put(7, false);
  const items = s.snapshotItems(true) as PackedBroadcastState[];
  // A record processed before the checkpoint leaves the thread changes the value in place.
  value.limit = 99;
  s.writable(rules).put('b', { limit: 2 });
  assert.deepEqual(items.map((i) => [i[BROADCAST_STATE], i.state, i.entries instanceof Uint8Array]), [[BROADCAST_STATE_PACKED, 'rules', true], [BROADCAST_STATE_PACKED, 'flags', true]]);
  assert.deepEqual(broadcastItemEntries(items), [['rules', 'a', { limit: 1 }], ['flags', 7, false]]);
  for (const i of items) assert.equal(i.entries.buffer.byteLength, i.entries.byteLength, `state ${i.state}: an exact-size copy`);
});

test('snapshotItems cloned (stateFastPaths off, format 1): [state, key, value] of every state, as copies taken now', () => {
  const s = new BroadcastStates('op', ['rules', 'flags']);
  assert.deepEqual(s.snapshotItems(false), [], 'empty states: no items');
  const value = { limit: 1 };
  s.writable(rules).put('a', value);
  s.writable(flags).put(7, false);
  const items = s.snapshotItems(false);
  value.limit = 99;
  s.writable(rules).put('b', { limit: 2 });
  assert.deepEqual(items, [['rules', 'a', { limit: 1 }], ['flags', 7, false]]);
  assert.deepEqual(broadcastItemEntries(items), items);
});

test('restore replaces every state with the items (what was there before is gone); items of undeclared states are dropped', () => {
  const s = new BroadcastStates('op', ['rules', 'flags']);
  s.writable(rules).put('old', { limit: 0 });
  s.writable(flags).put(1, true);
  s.restore([['rules', 'a', { limit: 1 }], ['gone', 'x', 1], ['rules', 'b', { limit: 2 }]]);
  assert.deepEqual(s.entries('rules'), [['a', { limit: 1 }], ['b', { limit: 2 }]]);
  assert.deepEqual(s.entries('flags'), [], 'cleared: no item for it');
  assert.deepEqual(s.entries('gone'), []);
  // The handles given out before the restore see the restored state (operators keep them).
  const r = s.readOnly(rules);
  s.restore([['rules', 'c', { limit: 3 }]]);
  assert.deepEqual(r.keys(), ['c']);
  // Packed: the same, a state no longer declared dropped.
  const old = new BroadcastStates('op', ['rules', 'gone']);
  old.writable(rules).put('d', { limit: 4 });
  old.writable(new MapStateDescriptor<string, number>('gone')).put('x', 1);
  s.writable(flags).put(2, true);
  s.restore(old.snapshotItems(true));
  assert.deepEqual(s.entries('rules'), [['d', { limit: 4 }]]);
  assert.deepEqual(s.entries('flags'), []);
  assert.deepEqual(r.keys(), ['d']);
});

for (const packed of [true, false]) {
  test(`a snapshot through a checkpoint chunk restores to the same states on another instance, whichever way it runs (${packed ? 'packed' : 'cloned'})`, () => {
    const a = new BroadcastStates('op', ['rules', 'flags']);
    const rich = { limit: 1, since: new Date(5), seen: new Set(['x']), by: new Map([['x', 2n ** 70n]]), samples: new Float64Array([1.5]), off: null };
    a.writable(rules).put('a', rich as unknown as { limit: number });
    a.writable(rules).put('b', { limit: 2 });
    a.writable(flags).put(3, true);
    const items = throughChunk(a.snapshotItems(packed));
    for (const b of [new BroadcastStates('op', ['rules', 'flags']), new BroadcastStates('op', ['flags', 'rules'])]) {
      b.restore(items);
      assert.deepEqual(b.entries('rules'), a.entries('rules'));
      assert.deepEqual(b.entries('flags'), a.entries('flags'));
      assert.notEqual(b.entries('rules')[0]![1], rich, 'a value of its own');
    }
  });
}

test('packed: state msgpack cannot keep is a JobDefinitionError naming the state (structured clone refused it too)', () => {
  const s = new BroadcastStates('op', ['rules', 'flags']);
  s.writable(flags).put(1, true);
  s.writable(rules).put('a', { limit: 1, check: () => true } as { limit: number });
  assert.throws(() => s.snapshotItems(true), (e: Error) => e instanceof JobDefinitionError
    && e.message === "broadcast state 'rules' holds a function, which a checkpoint cannot keep: put data in it (objects, arrays, Maps, Sets, Dates, bigints, typed arrays)");
  assert.throws(() => s.snapshotItems(false), (e: Error) => e.name === 'DataCloneError');
});

// Written at d55f5c81 (before broadcast state was packed): the chunk of a broadcast process operator with broadcast
// states limits (string => number) and rules (number => a rule with a Date, a Set, a Map, a bigint, a Float64Array
// and a null), as the coordinator wrote it, after the broadcast records ['a', 3], ['b', 4], ['a', 5] (each put limit
// key => value and rule value => rule(value)). The keyed operator wrote the same items.
test('a checkpoint chunk written before broadcast state was packed (format 1) restores, and packs again to the same entries', () => {
  const items = chunkPackr().unpack(readFileSync(new URL('./fixtures/broadcast-state-format-1.msgpack', import.meta.url))) as unknown[];
  assert.ok(items.every((i) => Array.isArray(i)), 'format 1: [state, key, value] items');
  const rule = (v: number) => ({ name: `r${v}`, since: new Date(1000 + v), sensors: new Set(['a', 'b']), weights: new Map([['a', 0.5], ['b', 2]]), big: 12345678901234567890n, samples: new Float64Array([1.5, -0.25]), off: null });
  const s = new BroadcastStates('judge', ['limits', 'rules']);
  s.restore(items);
  assert.deepEqual(s.entries('limits'), [['a', 5], ['b', 4]]);
  assert.deepEqual(s.entries('rules'), [[3, rule(3)], [4, rule(4)], [5, rule(5)]]);
  for (const packed of [true, false]) {
    const again = new BroadcastStates('judge', ['limits', 'rules']);
    again.restore(throughChunk(s.snapshotItems(packed)));
    assert.deepEqual([again.entries('limits'), again.entries('rules')], [s.entries('limits'), s.entries('rules')], packed ? 'packed' : 'cloned');
  }
});

test('broadcastContext: the record\'s time (undefined for none), the task\'s watermark, writable state, side outputs', () => {
  const ctx = new TaskContext('t', 2, 4, 128);
  const s = new BroadcastStates('op', ['rules']);
  const sent: [string, unknown][] = [];
  const tag = new OutputTag<string>('side');
  const c = broadcastContext(ctx, s, (t, v) => { sent.push([t.id, v]); });
  assert.equal(c.subtask, 2);
  assert.equal(c.timestamp, undefined, 'NaN: the record has no timestamp');
  ctx.timestamp = 1234;
  assert.equal(c.timestamp, 1234, 'read when asked, not when the context was made');
  ctx.timestamp = 0;
  assert.equal(c.timestamp, 0);
  ctx.watermark = 500;
  assert.equal(c.currentWatermark(), 500);
  const before = Date.now();
  const now = c.currentProcessingTime();
  assert.ok(now >= before && now <= Date.now());
  c.getBroadcastState(rules).put('a', { limit: 1 });
  assert.deepEqual(s.entries('rules'), [['a', { limit: 1 }]]);
  assert.throws(() => c.getBroadcastState(flags), JobDefinitionError);
  c.output(tag, 'x');
  assert.deepEqual(sent, [['side', 'x']]);
});
