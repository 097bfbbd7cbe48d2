// The watermarks among an unaligned checkpoint's channel state: restored at the same parallelism, its records are
// replayed with the watermarks at the places they had, so the records that are late after a failure are exactly
// those late without one. Before, they were replayed at the watermark of the snapshot, lower than the ones between
// them, and a record late in the run without the failure was on time after it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import type { InFlightRecord } from '../../../core/checkpoint/messages.js';
import { readLedger, tally } from './ledger.js';
import type { Judged } from './jobs/late-in-flight.ts';

const N = 20_000;

/** The late-in-flight job run in `dir` to its end; its sink is slow until the third checkpoint completes. */
async function judged(dir: string, exit: boolean): Promise<{ restarts: number; stateDir: string; records: Judged[] }> {
  const ledger = path.join(dir, 'ledger');
  const marker = path.join(dir, 'marker');
  const stateDir = path.join(dir, 'state');
  const u = new URL('./jobs/late-in-flight.ts', import.meta.url);
  for (const [k, v] of Object.entries({ n: N, slowMs: 20, interval: 300, ledger, marker, limit: 400, exit: exit ? 1 : 0 })) u.searchParams.set(k, String(v));
  let completed = 0;
  const h = await run(u, {
    stateDir, ringBytes: 64 * 1024, retainedCheckpoints: 10, onWarning: () => {},
    onCheckpoint: () => { if (++completed === 3) writeFileSync(marker, ''); },
    ...(exit ? { restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 } } : {}),
  });
  const r = await h.result;
  return { restarts: r.restarts, stateDir, records: readLedger<Judged>(ledger) };
}

const lateOnes = (records: Judged[]): number[] => records.filter((r) => r.late).map((r) => r.i).sort((a, b) => a - b);

/** The judge's channel state in the checkpoints kept: records, and watermarks among them. */
async function judgeChannelState(stateDir: string): Promise<InFlightRecord[][]> {
  const store = await CheckpointStore.open(stateDir);
  const out: InFlightRecord[][] = [];
  try {
    const keys: string[] = [];
    for await (const e of store.entries('f/')) if (e.key.includes('/judge/')) keys.push(e.key);
    for (const k of keys) out.push(new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack((await store.rawGet(k))!) as InFlightRecord[]);
  } finally {
    await store.close();
  }
  return out;
}

test('unaligned checkpoint restored at the same parallelism: the late records are exactly those of a run without the failure (watermarks in flight kept in place)', async () => {
  const dirs = [mkdtempSync(path.join(os.tmpdir(), 'sluice-late-')), mkdtempSync(path.join(os.tmpdir(), 'sluice-late-'))];
  try {
    const clean = await judged(dirs[0]!, false);
    const failed = await judged(dirs[1]!, true);
    assert.equal(clean.restarts, 0);
    assert.equal(failed.restarts, 1);
    for (const r of [clean, failed]) assert.deepEqual(tally(r.records.map((x) => x.i), N), { lost: 0, duplicated: 0, unexpected: 0 });
    // Watermark i - 1 follows every 10th record i: exactly the records 30 ms behind their place (i % 10 === 5) are late.
    const expected = Array.from({ length: N }, (_, i) => i).filter((i) => i % 10 === 5);
    assert.deepEqual(lateOnes(clean.records), expected);
    assert.deepEqual(lateOnes(failed.records), lateOnes(clean.records));
    // What made it a test: the restored channel state held records on both sides of a watermark.
    const straddling = (await judgeChannelState(failed.stateDir)).some((items) => {
      const w = items.findIndex((x) => x.control?.type === 'watermark');
      return w > 0 && items.slice(0, w).some((x) => x.control === undefined) && items.slice(w).some((x) => x.control === undefined);
    });
    assert.ok(straddling, 'no checkpoint kept holds channel state of the judge with a watermark between its records');
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
});
