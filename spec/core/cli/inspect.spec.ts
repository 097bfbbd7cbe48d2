// What `sluice inspect` prints about checkpoints, from their rows (the whole command runs in operations.it.spec.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderList, type CheckpointRow } from '../../../core/cli/inspect.js';

const row = (id: number, extra: Partial<CheckpointRow> = {}): CheckpointRow => ({
  id, kind: 'checkpoint', name: null, createdAt: '2026-12-04T05:00:00.000Z', bytes: 2048, chunks: 3, keyedEntries: 10,
  finished: false, unaligned: false, status: 'verified', problem: null, ...extra,
});

// A review found nothing said whether a checkpoint was unaligned, which decides whether it restores at another
// parallelism.
test('the list marks unaligned checkpoints and final ones', () => {
  const text = renderList('/s', [row(3, { unaligned: true }), row(2), row(1, { finished: true })]);
  assert.match(text, /^\s*3\s+checkpoint \(unaligned\)\s/m);
  assert.match(text, /^\s*2\s+checkpoint\s+2026/m);
  assert.match(text, /^\s*1\s+checkpoint \(end\)\s/m);
});
