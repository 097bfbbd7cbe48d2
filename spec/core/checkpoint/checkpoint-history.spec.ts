// Checkpoint outcomes a job keeps: the most recent CHECKPOINT_HISTORY of each kind in full, every one counted,
// across an attempt's end (absorbStats) and a running attempt (mergeStats).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CHECKPOINT_HISTORY, absorbStats, emptyStats, mergeStats, newestCompleted, recordAborted, recordCompleted, type CompletedCheckpoint,
} from '../../../core/checkpoint/checkpoint-history.js';

const cp = (id: number): CompletedCheckpoint => ({ id, kind: 'checkpoint', durationMs: 1, bytesWritten: 1, chunksWritten: 1, keyedEntries: 0, dirtyEntries: 0, maxSyncMs: 0, unaligned: false });

// Regression: every outcome was kept, 86,400 a day at one checkpoint a second, and copied on
// every handle.checkpoints() call (the CLI's status line makes one a second).
test('a long run keeps the most recent outcomes and counts them all', () => {
  const s = emptyStats();
  const n = 5 * CHECKPOINT_HISTORY + 17;
  for (let id = 1; id <= n; id++) {
    recordCompleted(s, cp(id));
    if (id % 3 === 0) recordAborted(s, { id: -id, reason: 'timed out' });
    assert.ok(s.completed.length < 2 * CHECKPOINT_HISTORY && s.aborted.length < 2 * CHECKPOINT_HISTORY);
  }
  const view = mergeStats(s, undefined);
  assert.equal(view.completedTotal, n);
  assert.equal(view.abortedTotal, Math.floor(n / 3));
  assert.deepEqual(view.completed.map((c) => c.id), Array.from({ length: CHECKPOINT_HISTORY }, (_, i) => n - CHECKPOINT_HISTORY + 1 + i));
  assert.equal(view.aborted.length, CHECKPOINT_HISTORY);
  assert.equal(view.aborted.at(-1)!.id, -(n - (n % 3)));
  assert.equal(newestCompleted(view)?.id, n);
});

test("a run's outcomes and its running attempt's: the most recent of both, totals added; an ended attempt's moved once", () => {
  const run = emptyStats();
  const attempt1 = emptyStats();
  for (let id = 1; id <= 10; id++) recordCompleted(attempt1, cp(id));
  recordAborted(attempt1, { id: 11, reason: 'declined' });
  absorbStats(run, attempt1);
  const attempt2 = emptyStats();
  for (let id = 12; id <= 11 + CHECKPOINT_HISTORY - 4; id++) recordCompleted(attempt2, cp(id));
  const both = mergeStats(run, attempt2);
  assert.equal(both.completedTotal, 10 + CHECKPOINT_HISTORY - 4);
  assert.equal(both.abortedTotal, 1);
  assert.equal(both.completed.length, CHECKPOINT_HISTORY);
  assert.deepEqual(both.completed.slice(0, 5).map((c) => c.id), [7, 8, 9, 10, 12], 'the oldest of the run give way first');
  assert.equal(mergeStats(run, undefined).completedTotal, 10);
});

// Regression: with 1,000 or more in the later part, slice(-0) kept all of the earlier one.
test('merged lists hold at most CHECKPOINT_HISTORY however long either part is', () => {
  const a = emptyStats();
  const b = emptyStats();
  for (let id = 1; id <= 1500; id++) recordCompleted(a, cp(id));
  for (let id = 1501; id <= 2700; id++) recordCompleted(b, cp(id));
  const m = mergeStats(a, b);
  assert.equal(m.completed.length, CHECKPOINT_HISTORY);
  assert.equal(m.completed[0]!.id, 2700 - CHECKPOINT_HISTORY + 1);
  assert.equal(m.completedTotal, 2700);
});
