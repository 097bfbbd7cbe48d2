// Event-time TTL over a long run with rotating keys: a key that comes back after its TTL starts over, exactly
// as a single-thread oracle says, and the state's entry count stays bounded by the keys alive in the TTL window.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { keyOf, type Report } from './jobs/event-time-ttl.js';

const N = 20_000;
const TTL = 500;

test('event-time TTL with rotating keys: expired keys start over and the state stays bounded, at parallelism 2', async () => {
  const h = await run(new URL(`./jobs/event-time-ttl.ts?n=${N}&ttl=${TTL}`, import.meta.url), { parallelism: 2 });
  const out = (await h.result).collected.out as Report[];
  assert.equal(out.length, N);
  // Oracle: a record at time ts sees its key's count if the key was last written less than TTL before ts.
  const last = new Map<string, { ts: number; count: number }>();
  const expected = new Map<number, number>();
  for (let i = 0; i < N; i++) {
    const k = keyOf(i);
    const l = last.get(k);
    const count = l !== undefined && l.ts + TTL > i ? l.count + 1 : 1;
    last.set(k, { ts: i, count });
    expected.set(i, count);
  }
  for (const r of out) assert.equal(r.count, expected.get(r.i), `record ${r.i} (key ${r.key})`);
  // Every run of a rotating key starts over (its previous run expired 1950 ms ago); 'g' (every 499 ms) never
  // expires, 'h' (every 500 ms: its entry expires exactly when the next record comes) always does.
  assert.equal(out.filter((r) => r.count === 1 && r.key.startsWith('k')).length, [...expected].filter(([i, c]) => c === 1 && keyOf(i).startsWith('k')).length);
  assert.equal(Math.max(...out.filter((r) => r.key === 'g').map((r) => r.count)), Math.ceil(N / 499));
  assert.deepEqual(new Set(out.filter((r) => r.key === 'h').map((r) => r.count)), new Set([1]));
  // 40 keys in all; the TTL window (500 ms of event time, a key every 50) holds about 11 of them.
  const maxSize = Math.max(...out.map((r) => r.size));
  assert.ok(maxSize <= 13, `at most the keys alive in the TTL window are held per subtask, saw ${maxSize}`);
});
