// What a sink's finish or stopped returns goes to the main thread once: it was structured-cloned first only to
// check that it could be sent, then cloned again when the thread's result was posted (a collect sink's records,
// all of them, copied twice at the end of a cancelled run). The job's result reads a file each time it is cloned.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const job = (hook: string, reads: string, marker?: string): URL => {
  const u = new URL('./jobs/counted-result.ts', import.meta.url);
  u.searchParams.set('hook', hook);
  u.searchParams.set('reads', reads);
  if (marker !== undefined) u.searchParams.set('marker', marker);
  return u;
};

const readsOf = (file: string): number => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '').length : 0);

test("a sink's finish result is cloned once on its way to the main thread", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-result-once-'));
  try {
    const reads = path.join(dir, 'reads');
    const r = await (await run(job('finish', reads), { parallelism: 1 })).result;
    assert.deepEqual(r.collected.counted, [{ written: 3, read: 'yes' }]);
    assert.equal(readsOf(reads), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a cancelled sink's stopped result is cloned once on its way to the main thread", async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-result-once-'));
  try {
    const reads = path.join(dir, 'reads');
    const marker = path.join(dir, 'written');
    const h = endsWithTest(t, await run(job('stopped', reads, marker), { parallelism: 1 }));
    // The marker file: the sink has its first record (polled; the job never ends by itself).
    await polledUntil(() => existsSync(marker), 'the sink had its first record', h, 10);
    await h.cancel();
    const r = await h.result;
    assert.equal(r.cancelled, true);
    assert.equal((r.collected.counted as { read: string }[] | undefined)?.[0]?.read, 'yes');
    assert.equal(readsOf(reads), 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
