// BroadcastStates: the broadcast maps of one operator instance. Written only through the broadcast input's context,
// read through a view without writes, snapshotted as copies taken at the barrier, and restored whole (states the
// job no longer declares dropped). Undeclared descriptors are a JobDefinitionError naming the operator and state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BroadcastStates, broadcastContext } from '../../../core/operators/broadcast-states.js';
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
  assert.deepEqual(none.snapshotItems(), []);
});

test('snapshotItems lists [state, key, value] of every state, as copies taken now', () => {
  const s = new BroadcastStates('op', ['rules', 'flags']);
  assert.deepEqual(s.snapshotItems(), [], 'empty states: no items');
  const value = { limit: 1 };
  s.writable(rules).put('a', value);
  s.writable(flags).put(7, false);
  const items = s.snapshotItems();
  // A record processed before the checkpoint leaves the thread changes the value in place.
  value.limit = 99;
  s.writable(rules).put('b', { limit: 2 });
  assert.deepEqual(items, [['rules', 'a', { limit: 1 }], ['flags', 7, false]]);
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
});

test('a snapshot restores to the same states on another instance (every subtask restores subtask 0\'s copy)', () => {
  const a = new BroadcastStates('op', ['rules', 'flags']);
  a.writable(rules).put('a', { limit: 1 });
  a.writable(rules).put('b', { limit: 2 });
  a.writable(flags).put(3, true);
  const b = new BroadcastStates('op', ['rules', 'flags']);
  b.restore(a.snapshotItems());
  assert.deepEqual(b.entries('rules'), a.entries('rules'));
  assert.deepEqual(b.entries('flags'), a.entries('flags'));
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
