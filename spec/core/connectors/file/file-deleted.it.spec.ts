// End to end: a followed file deleted after reading began. Its split used to stay in every checkpoint (the open
// handle waited for growth for good), and every restart or resume from one failed opening it (ENOENT) until a
// resume with other patterns dropped it. Now its records up to its end are kept, its split ends, and the run says so.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const line = (i: number): string => `${JSON.stringify({ i })}\n`;
const lines = (from: number, to: number): string => Array.from({ length: to - from }, (_, k) => line(from + k)).join('');

function job(file: string): URL {
  const u = new URL('./jobs/followed.ts', import.meta.url);
  u.searchParams.set('file', file);
  return u;
}

async function inDir(f: (dir: string) => Promise<void>): Promise<void> {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-deleted-')));
  try {
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads `n` records of the job's collect sink (committed by checkpoints), then stops reading. */
async function readRecords(h: Awaited<ReturnType<typeof run>>, n: number): Promise<number[]> {
  const got: number[] = [];
  for await (const r of h.output('out')) {
    got.push((r as { i: number }).i);
    if (got.length >= n) break;
  }
  return got;
}

test('a followed file deleted while the job reads it: its records are kept, the run warns, and its split ends (the job, with no other file, finishes)', { timeout: 60_000 }, async (t) => {
  await inDir(async (dir) => {
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, lines(0, 5));
    const warnings: string[] = [];
    const h = endsWithTest(t, await run(job(file), { parallelism: 1, stateDir: path.join(dir, 'state'), onWarning: (m) => warnings.push(m) }));
    assert.deepEqual(await readRecords(h, 5), [0, 1, 2, 3, 4]);
    appendFileSync(file, lines(5, 8));
    unlinkSync(file);
    const r = await h.result;
    assert.equal(r.cancelled, false);
    assert.equal(r.restarts, 0);
    assert.deepEqual(r.collected.out, [{ i: 5 }, { i: 6 }, { i: 7 }]);
    assert.ok(warnings.includes(`file source: ${file} was deleted while it was followed: read to its end (8 lines, ${Buffer.byteLength(lines(0, 8))} bytes); its split ends`), warnings.join(' | '));
  });
});

test('a followed file deleted after the checkpoint a restart restores: the restart runs, says what is lost, and the split ends', { timeout: 60_000 }, async (t) => {
  await inDir(async (dir) => {
    const file = path.join(dir, 'events.jsonl');
    writeFileSync(file, lines(0, 5));
    const u = job(file);
    u.searchParams.set('deleteAt', '5');
    u.searchParams.set('marker', path.join(dir, 'deleted'));
    const warnings: string[] = [];
    const h = endsWithTest(t, await run(u, { parallelism: 1, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (m) => warnings.push(m) }));
    // Committed by a checkpoint, which holds the file's split at its end (line 6).
    assert.deepEqual(await readRecords(h, 5), [0, 1, 2, 3, 4]);
    // Record 5 deletes the file and fails the job: the restart reads the file on from line 6.
    appendFileSync(file, line(5));
    const r = await h.result;
    assert.equal(r.restarts, 1, warnings.join(' | '));
    assert.equal(r.cancelled, false);
    assert.ok(warnings.includes(`file source: ${file} was deleted (or renamed out of the patterns) after the checkpoint this job restored, which reads it on from line 6 (byte ${Buffer.byteLength(lines(0, 5))}): its lines before that were read; whatever it held after that is lost with it. Its split ends`), warnings.join(' | '));
  });
});
