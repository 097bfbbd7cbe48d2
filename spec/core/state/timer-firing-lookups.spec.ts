// Firing a timer looks no key up: the timer heap holds the key's state entry, not the key, so takeDue drops the
// timestamp from the entry it pops (it looked each popped key up in the timer table's Map). Counted by the timer
// table's Map lookups; what fires is checked too, with deleted and re-armed timers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { TimerService } from '../../../core/state/timer-service.js';
import type { Key } from '../../../core/graph/key-groups.js';
import { ManualClocks } from './fixtures.js';

for (const inlineSingle of [true, false]) {
  test(`firing timers looks up no key in the timer table (inlineSingle ${inlineSingle})`, () => {
    const b = new KeyedStateBackend('op', 16, true, new ManualClocks());
    const ts = new TimerService(b, { inlineSingle });
    const table = b.table<unknown>('__timers/event', 'internal', undefined);
    for (let k = 0; k < 100; k++) { ts.register('event', k, 1000 - k); if (k % 2 === 0) ts.register('event', k, 2000 + k); }
    // Removed and armed again: the key's old entry is gone and the heap holds it twice (the old one is skipped).
    for (const k of [3, 5]) { ts.delete('event', k, 1000 - k); ts.register('event', k, 1000 - k); }
    // Deleted for good: its entry is removed, its heap item skipped.
    ts.delete('event', 7, 993);
    let lookups = 0;
    const get = table.entries.get.bind(table.entries);
    table.entries.get = (k: Key) => { lookups++; return get(k); };
    const fired: [Key, number][] = [];
    ts.fire('event', 5000, (k, t) => fired.push([k, t]));
    assert.equal(lookups, 0);
    const want: [Key, number][] = [];
    for (let k = 0; k < 100; k++) { if (k !== 7) want.push([k, 1000 - k]); if (k % 2 === 0) want.push([k, 2000 + k]); }
    assert.deepEqual(fired, want.sort((x, y) => x[1] - y[1]));
    assert.equal(ts.size, 0);
  });
}

// A key's one timer firing keeps its entry until onTimer returns (inlineSingle): a timer the key registers there
// takes the entry back, with no Map delete and set; one that registers none, or throws, leaves no entry behind.
for (const inlineSingle of [true, false]) {
  test(`a timer registered by its key's own firing timer takes the key's entry back (inlineSingle ${inlineSingle})`, () => {
    const b = new KeyedStateBackend('op', 16, true, new ManualClocks());
    const ts = new TimerService(b, { inlineSingle });
    const table = b.table<unknown>('__timers/event', 'internal', undefined);
    for (const k of ['retain', 'done', 'throws']) ts.register('event', k, 10);
    const before = table.entries.get('retain');
    let sets = 0;
    let deletes = 0;
    const set = table.entries.set.bind(table.entries);
    const del = table.entries.delete.bind(table.entries);
    table.entries.set = (k: Key, v) => { sets++; return set(k, v); };
    table.entries.delete = (k: Key) => { deletes++; return del(k); };
    const seen: [Key, number, number, number][] = [];
    assert.throws(() => ts.fire('event', 10, (k, t) => {
      // While it fires, the firing timer is held by no one: neither counted nor pending.
      seen.push([k, t, ts.size, ts.eventCount]);
      if (k === 'retain' && t === 10) ts.register('event', 'retain', 20);
      if (k === 'throws') throw new Error('onTimer failed');
    }), /onTimer failed/);
    ts.fire('event', 10, (k, t) => seen.push([k, t, ts.size, ts.eventCount]));
    assert.deepEqual(seen.map(([k]) => k).sort(), ['done', 'retain', 'throws']);
    // The i-th to fire sees the timers at 10 still to fire, and the retain timer once it was registered.
    const retainAt = seen.findIndex(([k]) => k === 'retain');
    assert.deepEqual(seen.map(([, , size, count]) => [size, count]), seen.map((_, i) => { const n = 2 - i + (retainAt < i ? 1 : 0); return [n, n]; }));
    assert.equal(table.entries.has('done'), false);
    assert.equal(table.entries.has('throws'), false, 'removed though its onTimer threw');
    assert.equal(ts.size, 1);
    const after = table.entries.get('retain');
    assert.deepEqual(after?.value, inlineSingle ? 20 : [20]);
    if (inlineSingle) {
      assert.equal(after, before, 'the same entry');
      assert.deepEqual([sets, deletes], [0, 2]);
    } else {
      assert.notEqual(after, before);
      assert.deepEqual([sets, deletes], [1, 3]);
    }
    const fired: [Key, number][] = [];
    ts.fire('event', 30, (k, t) => fired.push([k, t]));
    assert.deepEqual(fired, [['retain', 20]]);
    assert.equal(table.entries.size, 0);
  });
}
