// The paced source on a fake clock: it emits each subtask's share of the stream no faster than its schedule,
// writes that schedule before its first event (a sink may need it for that event) and an end report after its
// last; the union over subtasks is exactly the stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT } from '../../../core/index.js';
import { NexmarkConfigError, nexmarkConfig } from '../../../benchmarks/nexmark/config.js';
import { nexmarkEvents } from '../../../benchmarks/nexmark/generator.js';
import { readSourceEnds, readSourceStart } from '../../../benchmarks/nexmark/latency-dir.js';
import type { NexmarkEvent } from '../../../benchmarks/nexmark/model.js';
import { pacedNexmarkSource } from '../../../benchmarks/nexmark/paced-source.js';

function withDir(f: (dir: string) => void): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'paced-source-'));
  try {
    f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('each subtask emits its positions on schedule, reporting its start before the first event and its end after the last', () => withDir((dir) => {
  const config = nexmarkConfig({ events: 11 });
  let now = 5_000;
  const spec = pacedNexmarkSource(config, { offeredPerSec: 2_000, dir, now: () => now });
  const splits = spec.enumerateSplits(2) as { id: string; position: unknown }[];
  const readers = [0, 1].map((s) => spec.createReader(s, 2, [splits[s]!]));
  const got: NexmarkEvent[][] = [[], []];
  const emit = (s: number) => (e: NexmarkEvent) => {
    // The schedule is on disk before any event leaves.
    assert.ok(existsSync(path.join(dir, `source-${s}.start`)), 'start report written before the first event');
    got[s]!.push(e);
  };
  const noBad = () => assert.fail('no bad records');

  // First read: the schedule starts now; nothing is due yet (1000/s per subtask: one event per ms).
  assert.equal(readers[0]!.read(emit(0), 100, noBad), SOURCE_WAIT);
  assert.deepEqual(readSourceStart(dir, 0), { subtask: 0, parallelism: 2, anchorMs: 5_000, ratePerSec: 1_000 });
  now += 3; // three events due
  assert.equal(readers[0]!.read(emit(0), 2, noBad), SOURCE_MORE); // at most `max`
  assert.equal(got[0]!.length, 2);
  assert.equal(readers[0]!.read(emit(0), 100, noBad), SOURCE_MORE);
  assert.equal(got[0]!.length, 3);
  assert.equal(readers[0]!.read(emit(0), 100, noBad), SOURCE_WAIT);
  // Subtask 1 starts later: its own schedule.
  assert.equal(readers[1]!.read(emit(1), 100, noBad), SOURCE_WAIT);
  assert.equal(readSourceStart(dir, 1).anchorMs, 5_003);
  now += 100; // a stall: everything is due, and goes
  for (const s of [0, 1]) {
    while (readers[s]!.read(emit(s), 100, noBad) !== SOURCE_END);
  }
  assert.deepEqual(got[0], [...nexmarkEvents(config, 0, 2)]);
  assert.deepEqual(got[1], [...nexmarkEvents(config, 1, 2)]);
  const ends = readSourceEnds(dir, 2);
  assert.deepEqual(ends.map((e) => [e.emitted, e.lastEmitMs]), [[6, 5_103], [5, 5_103]]);
  assert.deepEqual(readers[0]!.snapshot(-1), [{ id: '0/2', position: { start: 0, stride: 2, next: 12 } }]);
}));

test('readSourceEnds names a subtask that left no end report', () => withDir((dir) => {
  assert.throws(() => readSourceEnds(dir, 1), (e: unknown) => e instanceof NexmarkConfigError && e.message.includes('subtask 0'));
}));

test('bad options and a subtask holding several splits are NexmarkConfigErrors', () => withDir((dir) => {
  assert.throws(() => pacedNexmarkSource(nexmarkConfig({ events: Infinity }), { offeredPerSec: 10, dir }), NexmarkConfigError);
  assert.throws(() => pacedNexmarkSource(nexmarkConfig({ events: 10 }), { offeredPerSec: 0, dir }), NexmarkConfigError);
  const spec = pacedNexmarkSource(nexmarkConfig({ events: 10 }), { offeredPerSec: 10, dir });
  assert.throws(() => spec.createReader(0, 1, spec.enumerateSplits(2) as { id: string; position: unknown }[]), NexmarkConfigError);
}));
