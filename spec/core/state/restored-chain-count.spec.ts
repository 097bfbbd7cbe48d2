// A restored key group's delta chain ends where the original's does. The original added to its entries-since-full
// count what its snapshot listed, a restore what the chunk carried: a key removed and written again counted a
// removal and a write, carried as one put (any state), and a value state's entry written and then removed counted a
// change and a removal, carried as one tombstone. The original then went full a checkpoint or more before the
// restored one. Both now add what the chunk carries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyedStateBackend } from '../../../core/state/keyed-state-backend.js';
import { keyGroupFor } from '../../../core/graph/key-groups.js';

const clocks = { processing: () => 0, event: () => 0 };

/** Twenty keys of key group 3 (of 128): no turn of its own in the few snapshots below. */
const keys: string[] = [];
for (let i = 0; keys.length < 20; i++) if (keyGroupFor(`k${i}`, 128) === 3) keys.push(`k${i}`);

for (const kind of ['value', 'list', 'map'] as const) {
  test(`${kind} state: entries written and removed between snapshots count alike in the original and the restored chain`, () => {
    const make = (): { b: KeyedStateBackend; write: (k: string, v: number) => void; clear: (k: string) => void } => {
      const b = new KeyedStateBackend('op', 128, true, clocks);
      const at = (k: string): void => { b.currentKey = k; };
      if (kind === 'value') { const s = b.valueState<number>('s'); return { b, write: (k, v) => { at(k); s.update(v); }, clear: (k) => { at(k); s.clear(); } }; }
      if (kind === 'list') { const s = b.listState<number>('s'); return { b, write: (k, v) => { at(k); s.update([v]); }, clear: (k) => { at(k); s.clear(); } }; }
      const s = b.mapState<number, number>('s');
      return { b, write: (k, v) => { at(k); s.put(0, v); }, clear: (k) => { at(k); s.clear(); } };
    };
    const a = make();
    for (const k of keys) a.write(k, 0);
    const chain = [...a.b.snapshot(false).chunks];
    // Three keys written and removed, one removed and written again: three tombstones and a put in the delta.
    for (const k of keys.slice(0, 3)) { a.write(k, 1); a.clear(k); }
    a.clear(keys[3]!);
    a.write(keys[3]!, 2);
    chain.push(...a.b.snapshot(false).chunks);
    assert.deepEqual(chain.map((c) => [c.keyGroup, c.full]), [[3, true], [3, false]]);
    const r = make();
    r.b.restore(chain);
    // The same two deltas of 12 changes to both (17 live entries): 4 + 12 < 17, a delta; 4 + 24 > 17, full. (Counted
    // as listed, the original had 8, or 5 for a list or map, and went full at once.)
    const kinds = (x: ReturnType<typeof make>): boolean[] => [0, 1].map((s) => {
      for (const k of keys.slice(5, 17)) x.write(k, 10 + s);
      return x.b.snapshot(false).chunks[0]!.full;
    });
    assert.deepEqual(kinds(a), [false, true], 'original');
    assert.deepEqual(kinds(r), [false, true], 'restored');
  });
}
