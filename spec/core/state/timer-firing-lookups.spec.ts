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
