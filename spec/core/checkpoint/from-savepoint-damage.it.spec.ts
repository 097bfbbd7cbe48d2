// --from-savepoint into a damaged savepoint: every refusal names the savepoint and what is damaged; the warning
// about going back behind published output comes only once the savepoint loaded; an unknown name lists the names.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore, pad } from '../../../core/checkpoint/store.js';
import { writePublishedMark } from '../../../core/checkpoint/published-mark.js';

const job = new URL('../cli/jobs/ticking.ts', import.meta.url);

async function withStore<T>(dir: string, f: (s: CheckpointStore) => Promise<T>): Promise<T> {
  const store = await CheckpointStore.open(dir);
  try { return await f(store); } finally { await store.close(); }
}

// Regression (statedir review): a record flipped 12 -> 16 failed "no checkpoint 16 in ... (it holds 12, 13, 14,
// 15)", naming neither the savepoint nor its record; a damaged manifest first warned of duplicates, then failed
// "checkpoint 12 is corrupt" without saying it was savepoint 'sp1'.
test('--from-savepoint: a damaged record or manifest is refused naming the savepoint, no duplicates warning before the load; an unknown name lists the names', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-from-sp-'));
  try {
    const first = await run(job, { parallelism: 2, stateDir: dir, checkpointIntervalMs: 600_000, retainedCheckpoints: 3, onWarning: () => {} });
    const sp = await first.savepoint('sp1');
    await first.savepoint('sp2');
    const later = await first.checkpoint();
    await first.cancel();
    // Output published past the savepoint: resuming from it says so, once it loaded.
    writePublishedMark(dir, later.id);
    const warnings: string[] = [];
    const resume = (savepoint: string) => run(job, { parallelism: 2, stateDir: dir, resume: { savepoint }, onWarning: (w) => warnings.push(String(w)) });
    const ids = await withStore(dir, (s) => s.manifestIds());
    const missing = Math.max(...ids) + 4;

    await withStore(dir, (s) => s.rawPut('s/sp1', Buffer.from(String(missing))));
    await assert.rejects(resume('sp1'), (e: Error) => e.name === 'NoCheckpointError'
      && e.message === `savepoint 'sp1' is recorded as checkpoint ${missing}, but there is no checkpoint ${missing} in ${dir} (it holds ${[...ids].sort((a, b) => a - b).join(', ')}): its name record is damaged, or its checkpoint was deleted`);
    await withStore(dir, (s) => s.rawPut('s/sp1', Buffer.from(String(sp.id))));

    const key = `m/${pad(sp.id)}`;
    const intact = await withStore(dir, async (s) => Buffer.from((await s.rawGet(key))!));
    const damaged = Buffer.from(intact);
    damaged[damaged.length >> 1]! ^= 0x10;
    await withStore(dir, (s) => s.rawPut(key, damaged));
    await assert.rejects(resume('sp1'), (e: Error) => e.name === 'CorruptCheckpointError'
      && e.message.startsWith(`savepoint 'sp1' cannot be restored: checkpoint ${sp.id} is corrupt or incomplete: `));
    assert.deepEqual(warnings.filter((w) => /behind sink output/.test(w)), [], 'no duplicates warning for a resume that failed');

    await assert.rejects(resume('nosuch'), (e: Error) => e.name === 'NoCheckpointError' && e.message === `no savepoint named 'nosuch' in ${dir} (it holds 'sp1', 'sp2')`);

    // Mended, it restores, and the warning names it.
    await withStore(dir, (s) => s.rawPut(key, intact));
    const h = await resume('sp1');
    assert.equal((await h.cancel()).restoredFrom, sp.id);
    assert.deepEqual(warnings.filter((w) => /behind sink output/.test(w)), [
      `resuming from checkpoint ${sp.id} (savepoint 'sp1'), behind sink output already published up to checkpoint ${later.id}: the records between are published again (duplicates)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
