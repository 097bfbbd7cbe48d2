// Retention in a state directory holding a savepoint whose manifest is damaged, and an older checkpoint that cannot
// be read: the job goes on, warned once each, naming what and how to delete it; no chunk goes meanwhile.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore, pad } from '../../../core/checkpoint/store.js';

const job = new URL('../cli/jobs/ticking.ts', import.meta.url);

/** Flips one byte in the middle of checkpoint `id`'s manifest. */
async function damageManifest(stateDir: string, id: number): Promise<void> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const bytes = Buffer.from((await store.rawGet(`m/${pad(id)}`))!);
    bytes[bytes.length >> 1]! ^= 0x10;
    await store.rawPut(`m/${pad(id)}`, bytes);
  } finally {
    await store.close();
  }
}

async function chunkKeys(stateDir: string): Promise<string[]> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const keys: string[] = [];
    for await (const e of store.entries()) if (!e.key.startsWith('m/') && !e.key.startsWith('s/')) keys.push(e.key);
    return keys;
  } finally {
    await store.close();
  }
}

// Regression (statedir review): retention read savepoint manifests without a catch, so every run in the directory
// failed after its first checkpoint ("checkpoint 12 is corrupt or incomplete"), never saying it was savepoint 'sp1';
// and an unreadable older checkpoint was deleted without a word.
test('a damaged savepoint manifest is warned about once, naming it and its delete command; the job goes on and no chunk is collected', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-damaged-sp-'));
  try {
    const first = await run(job, { parallelism: 2, stateDir: dir, checkpointIntervalMs: 600_000, retainedCheckpoints: 3, onWarning: () => {} });
    const sp = await first.savepoint('sp1');
    const older = await first.checkpoint();
    const newest = await first.checkpoint();
    await first.cancel();
    await damageManifest(dir, sp.id);
    await damageManifest(dir, older.id);
    const before = await chunkKeys(dir);
    const warnings: string[] = [];
    const h = await run(job, { parallelism: 2, stateDir: dir, resume: true, checkpointIntervalMs: 20, retainedCheckpoints: 3, restartStrategy: { type: 'none' }, onWarning: (w) => warnings.push(String(w)) });
    let failed: unknown;
    h.result.catch((e: unknown) => { failed = e; });
    while (h.checkpoints().completed.length < 4 && failed === undefined) await delay(20);
    assert.equal(failed, undefined, 'the resumed job did not fail');
    const r = await h.cancel();
    assert.equal(r.restoredFrom, newest.id);
    const aboutSp = warnings.filter((w) => w.includes(`savepoint 'sp1' (checkpoint ${sp.id})`));
    assert.equal(aboutSp.length, 1, warnings.join('\n'));
    assert.ok(aboutSp[0]!.includes(`sluice savepoint ${dir} sp1 --delete`), aboutSp[0]);
    assert.match(aboutSp[0]!, /cannot be read: checkpoint \d+ is corrupt or incomplete/);
    const aboutOlder = warnings.filter((w) => w.includes(`checkpoint ${older.id} in ${dir} cannot be read`) && w.includes('retention deleted it'));
    assert.equal(aboutOlder.length, 1, warnings.join('\n'));
    // Chunks the savepoint may hold are kept; retention deleted none while it is there.
    const after = new Set(await chunkKeys(dir));
    assert.deepEqual(before.filter((k) => !after.has(k)), []);
    const store = await CheckpointStore.open(dir);
    try {
      assert.ok(!(await store.manifestIds()).includes(older.id), 'the unreadable older checkpoint was deleted');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
