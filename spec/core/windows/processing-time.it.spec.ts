// Whole jobs on real threads: processing-time windows (tumbling, sliding, session) fire, and at end of input
// every remaining one fires; count windows on global windows. Assertions are about the windows' contents and
// consistency, never about timing: the rate-limited source only guarantees the job spans more than one window.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { generateRecord } from '../../../core/connectors/generator.js';
import { pEvent } from './jobs/processing.js';

const N = 3000;
const RATE = 10_000;
const KEYS = 3;
const SIZE = 20;
const SLIDE = 10;
const GAP = 5;
const COUNT = 7;

test('processing-time windows and count windows hold every record as their definitions say', async () => {
  const q = `n=${N}&rate=${RATE}&keys=${KEYS}&size=${SIZE}&slide=${SLIDE}&gap=${GAP}&count=${COUNT}`;
  const h = await run(new URL(`./jobs/processing.ts?${q}`, import.meta.url), { parallelism: 2, ringBytes: 64 * 1024 });
  const { collected } = await h.result;
  const keyOf = (id: number): string => generateRecord(pEvent(KEYS), 5, id).key;
  type Row = [string, number, number, number[]];

  const checkRows = (rows: Row[], name: string, copies: number): void => {
    const seen = new Map<number, number>();
    for (const [key, start, end, ids] of rows) {
      assert.ok(ids.length > 0, `${name}: a window fires only with contents`);
      for (const id of ids) {
        assert.equal(keyOf(id), key, `${name}: record ${id} in a window of its own key`);
        seen.set(id, (seen.get(id) ?? 0) + 1);
      }
      if (name !== 'session') {
        assert.equal(end - start, SIZE, `${name}: window size`);
        assert.equal(start % (name === 'sliding' ? SLIDE : SIZE), 0, `${name}: aligned to the epoch`);
      }
    }
    assert.equal(seen.size, N, `${name}: every record in some window`);
    for (const [id, c] of seen) assert.equal(c, copies, `${name}: record ${id} in ${copies} window(s)`);
  };

  const tumbling = collected['tumbling.out'] as Row[];
  checkRows(tumbling, 'tumbling', 1);
  // Regression: a window's timer fired within its last millisecond, and records of that millisecond
  // fired the window again, as a second, partial result. Each window of a key fires once.
  for (const [name, rows] of [['tumbling', tumbling], ['sliding', collected['sliding.out'] as Row[]]] as const) {
    const fired = rows.map(([key, start]) => `${key}@${start}`);
    assert.equal(new Set(fired).size, fired.length, `${name}: a window fired twice`);
  }
  // The source needs at least (N - 1) / RATE s, longer than one window: the first and last records' windows differ.
  assert.ok(new Set(tumbling.map((r) => r[1])).size >= 2, 'the job spans several windows');
  checkRows(collected['sliding.out'] as Row[], 'sliding', SIZE / SLIDE);
  const sessions = collected['session.out'] as Row[];
  checkRows(sessions, 'session', 1);
  for (let k = 0; k < KEYS; k++) {
    const mine = sessions.filter((r) => r[0] === `k${k}`).sort((a, b) => a[1] - b[1]);
    // A session fires once the clock has passed its maxTimestamp (reached its end); a record before that joins it,
    // one from then on opens a new one.
    for (let i = 1; i < mine.length; i++) assert.ok(mine[i]![1] >= mine[i - 1]![2], 'a session of a key starts after the previous one fired');
    for (const [, s, e] of mine) assert.ok(e - s >= GAP);
  }

  const counts = collected['count.out'] as [string, number[]][];
  const perKey = new Map<string, number>();
  for (let i = 0; i < N; i++) perKey.set(keyOf(i), (perKey.get(keyOf(i)) ?? 0) + 1);
  const ids = new Set<number>();
  for (const [key, els] of counts) {
    assert.equal(els.length, COUNT, 'a count window fires with exactly COUNT records');
    for (const id of els) { assert.equal(keyOf(id), key); assert.ok(!ids.has(id), 'purged: no record twice'); ids.add(id); }
  }
  for (const [key, c] of perKey) {
    assert.equal(counts.filter((r) => r[0] === key).length, Math.floor(c / COUNT), `key ${key}: one window per ${COUNT} records; the rest never fires`);
  }
});
