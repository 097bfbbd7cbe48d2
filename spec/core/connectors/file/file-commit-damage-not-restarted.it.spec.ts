// A file sink's record of published parts damaged on disk fails a resume at once: a restart restores the same
// checkpoint into the same record (FileCommitError.permanent). One that cannot be read for an I/O error (here a
// directory in its place) is left to the restart strategy, which may find it readable again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle, type RunOptions } from '../../../../core/index.js';
import { committedRecordName } from '../../../../core/connectors/file/committed-parts.js';

function job(out: string): URL {
  const u = new URL('./jobs/files.ts', import.meta.url);
  for (const [k, v] of Object.entries({ case: 'sink', unbounded: 1, rate: 20_000, out, interval: 20 })) u.searchParams.set(k, String(v));
  return u;
}

async function runForCheckpoints(url: URL, n: number, options: RunOptions): Promise<JobHandle> {
  let completed = 0;
  let enough!: () => void;
  const reached = new Promise<void>((r) => { enough = r; });
  const h = await run(url, { ...options, onCheckpoint: () => { if (++completed === n) enough(); } });
  await Promise.race([reached, h.result]);
  return h;
}

/** A first run that published parts (so its record exists), cancelled; returns its record's path. */
async function firstRun(dir: string): Promise<{ out: string; stateDir: string; record: string }> {
  const out = path.join(dir, 'out');
  const stateDir = path.join(dir, 'state');
  const h = await runForCheckpoints(job(out), 5, { parallelism: 1, stateDir, onWarning: () => {} });
  await h.cancel();
  const record = path.join(out, committedRecordName({ prefix: 'part', suffix: '.jsonl' }));
  assert.ok(readdirSync(out).includes(path.basename(record)), `a record among ${readdirSync(out).join(', ')}`);
  return { out, stateDir, record };
}

const restarts = (warnings: readonly string[]): string[] => warnings.filter((w) => /restart \d+ in \d+ ms/.test(w));

// Regression (statedir review): a damaged record was retried 3 times with 1 s delays before the job failed.
test('a damaged record of published parts fails the resume without a restart, naming the record', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-file-damage-'));
  try {
    const { out, stateDir, record } = await firstRun(dir);
    writeFileSync(record, '{"format": 1, "parts": [');
    const warnings: string[] = [];
    const failed = await run(job(out), { parallelism: 1, stateDir, resume: true, restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (w) => warnings.push(String(w)) })
      .then((h) => h.result).then(() => undefined, (e: Error) => e);
    assert.ok(failed instanceof Error, 'the resume failed');
    assert.match(failed.message, new RegExp(`${record.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is damaged \\(not JSON\\)`));
    assert.deepEqual(restarts(warnings), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record that cannot be read for an I/O error is restarted as the strategy says', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-file-damage-'));
  try {
    const { out, stateDir, record } = await firstRun(dir);
    rmSync(record);
    mkdirSync(record);
    const warnings: string[] = [];
    const failed = await run(job(out), { parallelism: 1, stateDir, resume: true, restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (w) => warnings.push(String(w)) })
      .then((h) => h.result).then(() => undefined, (e: Error) => e);
    assert.ok(failed instanceof Error, 'the resume failed');
    assert.match(failed.message, /is damaged \(cannot be read: EISDIR/);
    assert.equal(restarts(warnings).length, 2, warnings.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
