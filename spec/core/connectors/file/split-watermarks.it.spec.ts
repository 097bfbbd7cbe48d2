// Per-split watermarks in a whole job with the file source following two files (read round-robin by one
// subtask): one holds a backlog an hour behind in event time, the other live records. Per split, no record is
// late and every window's count is the oracle's; with assignTimestampsAndWatermarks after the same source (one
// generator for both files), the backlog's records go late.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';
import type { Ev, Out } from '../../time/jobs/split-watermarks.js';
import { readWindows, windowOracle, type Late } from '../../time/split-windows.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const JOB = new URL('../../time/jobs/split-watermarks.ts', import.meta.url);
const SIZE = 1000;
const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const BACKLOG = 20_000;
const LIVE = 2000;
const END_TS = T0 + 10 * HOUR;

/** File `dir/s.jsonl`: n records 10 ms of event time apart from `from`, then its end. Returns the records. */
function fill(dir: string, s: string, n: number, from: number): { file: string; evs: Ev[] } {
  const evs: Ev[] = Array.from({ length: n }, (_, i) => ({ s, i, ts: from + 10 * i }));
  const file = path.join(dir, `${s}.jsonl`);
  writeFileSync(file, [...evs, { s, i: n, ts: END_TS, end: true }].map((e) => `${JSON.stringify(e)}\n`).join(''));
  return { file, evs };
}

/** Runs the job until every record is in a fired window or late (it follows its files: unbounded), then cancels it. */
async function runJob(t: TestContext, mode: 'split' | 'subtask'): Promise<{ evs: Ev[]; windows: Map<string, number>; late: Late[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-split-wm-'));
  try {
    const backlog = fill(dir, 'backlog', BACKLOG, T0);
    const live = fill(dir, 'live', LIVE, T0 + HOUR);
    const u = new URL(JOB);
    u.searchParams.set('files', [backlog.file, live.file].join(','));
    u.searchParams.set('mode', mode);
    u.searchParams.set('size', String(SIZE));
    const h = endsWithTest(t, await run<{ out: Out[] }>(u, { parallelism: 1 }));
    const { windows, late } = await readWindows(h, BACKLOG + LIVE);
    return { evs: [...backlog.evs, ...live.evs], windows, late };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('follow, per split: a backlog file read beside a live one is not late, every window counts what the oracle does', { timeout: 60_000 }, async (t) => {
  const { evs, windows, late } = await runJob(t, 'split');
  assert.equal(late.length, 0, `late: ${late.length}, ${JSON.stringify(late.slice(0, 3))}`);
  assert.deepEqual([...windows].sort(), [...windowOracle(evs, SIZE)].sort());
});

test('follow, one generator for the subtask: the backlog file\'s records go late', { timeout: 60_000 }, async (t) => {
  const { windows, late } = await runJob(t, 'subtask');
  assert.ok(late.length > 0, 'some of the backlog is late once the live file moved event time');
  assert.ok(late.every((r) => r.s === 'backlog'), 'only the backlog\'s');
  assert.equal([...windows.values()].reduce((a, b) => a + b, 0) + late.length, BACKLOG + LIVE);
});
