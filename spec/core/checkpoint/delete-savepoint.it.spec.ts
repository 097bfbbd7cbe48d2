// Deleting a savepoint (regression: savepoints were "kept until deleted", with no way to delete one): with
// no job on the directory its checkpoint goes too, with the chunks only it held, unless it is the newest; through a
// running job (its handle, or `sluice savepoint --delete` on its control socket) the name goes, and the job's
// retention takes the checkpoint like any other.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { deleteSavepoint, JobNotRunningError, run, serveControl, type JobHandle, type RunOptions } from '../../../core/index.js';
import { CheckpointStore, pad } from '../../../core/checkpoint/store.js';
import { inspectDir } from '../../../core/cli/inspect.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const exec = promisify(execFile);
const job = new URL('./jobs/keyed-counts.ts', import.meta.url);
const sluice = fileURLToPath(new URL('../../../bin/sluice.mjs', import.meta.url));

async function listing(stateDir: string): Promise<{ ids: number[]; savepoints: string[] }> {
  const store = await CheckpointStore.open(stateDir);
  try {
    return { ids: await store.manifestIds(), savepoints: (await store.savepoints()).map((s) => s.name).sort() };
  } finally {
    await store.close();
  }
}

test('with no job on the directory, a savepoint and the chunks only it held go; the others and the newest still restore', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-delete-sp-'));
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: () => {} }));
    // Every key in state first: each savepoint then holds its own full chunks.
    while ((await h.checkpoint()).keyedEntries < 1000);
    const a = await h.savepoint('a');
    const b = await h.savepoint('b');
    const plain = await h.checkpoint();
    const last = await h.stopWithSavepoint('last');
    await h.result;
    assert.deepEqual((await listing(stateDir)).savepoints, ['a', 'b', 'last']);

    // Regression: a damaged name record of 'a' naming a plain checkpoint had that checkpoint deleted. The
    // sealed manifest that is savepoint 'a' decides.
    const raw = await CheckpointStore.open(stateDir);
    try {
      await raw.rawPut('s/a', Buffer.from(String(plain.id)));
      assert.ok(await raw.rawGet(`m/${pad(plain.id)}`));
    } finally {
      await raw.close();
    }
    const d = await deleteSavepoint(stateDir, 'a');
    assert.equal(d.id, a.id);
    assert.ok((await listing(stateDir)).ids.includes(plain.id), 'the checkpoint the damaged record named stays');
    assert.equal(d.checkpointDeleted, true);
    assert.ok(d.chunksDeleted > 0, 'a full savepoint followed by another holds chunks no later checkpoint needs');
    const after = await listing(stateDir);
    assert.deepEqual(after.savepoints, ['b', 'last']);
    assert.ok(!after.ids.includes(a.id));
    await assert.rejects(run(job, { parallelism: 2, stateDir, resume: { savepoint: 'a' }, onWarning: () => {} }), /no savepoint named 'a'/);
    // The newest stays, as the checkpoint a resume takes; inspect lists it as a checkpoint now (regression: as the
    // savepoint still).
    const n = await deleteSavepoint(stateDir, 'last');
    assert.deepEqual(n, { name: 'last', id: last.id, checkpointDeleted: false, chunksDeleted: 0, unreadable: [] });
    assert.ok((await listing(stateDir)).ids.includes(last.id));
    // Again: no savepoint has that name now; the checkpoint that had it is one like any other (regression: a second
    // deletion took one that had once had the name).
    await assert.rejects(deleteSavepoint(stateDir, 'last'), /no savepoint named 'last'/);
    assert.ok((await listing(stateDir)).ids.includes(last.id));
    const store = await CheckpointStore.open(stateDir);
    try {
      const row = (await inspectDir(store, false)).find((r) => r.id === last.id)!;
      assert.deepEqual([row.kind, row.name], ['checkpoint', null]);
    } finally {
      await store.close();
    }
    // 'latest' first: resuming from 'b' is a rollback, which abandons the checkpoints after it; the rolled-back run
    // then takes one of its own, which 'latest' takes.
    /** Where a run resumed with `resume` started; it is cancelled first (a failed assertion must not leave it running). */
    const startedFrom = async (resume: RunOptions['resume'], then?: (h: JobHandle) => Promise<unknown>): Promise<number | undefined> => {
      const r = await run(job, { parallelism: 2, stateDir, resume, checkpointIntervalMs: 0, onWarning: () => {} });
      try { await then?.(r); } finally { await r.cancel(); }
      return r.restoredFrom;
    };
    assert.equal(await startedFrom('latest'), last.id);
    let own: number | undefined;
    assert.equal(await startedFrom({ savepoint: 'b' }, async (r) => { own = (await r.checkpoint()).id; }), b.id);
    assert.equal(await startedFrom('latest'), own);
    // What a resume takes is the newest checkpoint that reads back intact (regression: the newest alone was kept, and
    // with newer ones corrupt the one a resume takes went).
    const damage = await CheckpointStore.open(stateDir);
    const newer = (await damage.manifestIds()).filter((id) => id > b.id);
    try {
      for (const id of newer) await damage.rawPut(`m/${pad(id)}`, Buffer.from('damaged'));
    } finally {
      await damage.close();
    }
    assert.deepEqual(await deleteSavepoint(stateDir, 'b'), { name: 'b', id: b.id, checkpointDeleted: false, chunksDeleted: 0, unreadable: newer });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('through a running job: its handle and `sluice savepoint --delete` drop the name, and its retention then takes the checkpoint', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-delete-sp-'));
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, retainedCheckpoints: 1, onWarning: () => {} }));
    const control = await serveControl(h);
    try {
      const x = await h.savepoint('x');
      const y = await h.savepoint('y');
      assert.deepEqual(await h.deleteSavepoint('x'), { name: 'x', id: x.id, checkpointDeleted: false, chunksDeleted: 0, unreadable: [] });
      const cli = await exec(process.execPath, [sluice, 'savepoint', stateDir, 'y', '--delete', '--json']);
      assert.deepEqual(JSON.parse(cli.stdout), { stateDir, deleted: { name: 'y', id: y.id, checkpointDeleted: false, chunksDeleted: 0, unreadable: [] }, jobRunning: true });
      await assert.rejects(h.deleteSavepoint('x'), /no savepoint named 'x'/);
      const c = await h.checkpoint();
      // Retention keeps the newest checkpoint only (retainedCheckpoints 1): the two, names gone, went with it.
      await h.checkpoint();
      await h.cancel();
      const after = await listing(stateDir);
      assert.deepEqual(after.savepoints, []);
      assert.ok(!after.ids.includes(x.id) && !after.ids.includes(y.id) && !after.ids.includes(c.id), `left: ${after.ids.join(', ')}`);
    } finally {
      await control.close();
    }
    // Typed (it was a plain Error), with how the job ended.
    await assert.rejects(h.deleteSavepoint('x'), (e: unknown) => e instanceof JobNotRunningError && e.state === 'cancelled'
      && e.message === `deleteSavepoint('x'): the job has ended: delete the savepoint with deleteSavepoint('${stateDir}', 'x') (or sluice savepoint ${stateDir} x --delete)`);
    // No job now: the CLI deletes in the directory itself; a name it does not hold is exit 2, as for run (README).
    const missing = await exec(process.execPath, [sluice, 'savepoint', stateDir, 'nope', '--delete']).catch((e: { code: number; stderr: string }) => e);
    assert.equal((missing as { code: number }).code, 2);
    assert.match((missing as { stderr: string }).stderr, /no savepoint named 'nope'/);
    // A directory that is no state directory is refused, and left as it was (regression: a database was made in it).
    const foreign = path.join(dir, 'foreign');
    mkdirSync(foreign);
    const refused = await exec(process.execPath, [sluice, 'savepoint', foreign, 'x', '--delete']).catch((e: { code: number; stderr: string }) => e);
    assert.equal((refused as { code: number }).code, 2);
    assert.match((refused as { stderr: string }).stderr, /is not a sluice state directory/);
    assert.deepEqual(readdirSync(foreign), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a name reused after its savepoint was deleted through the job (the older manifest stays
// until retention takes it) made a later deletion take both, the older one unsaid; inspect listed both as the
// savepoint.
test('a reused name: deleting the savepoint takes the one its name records, and inspect lists the older as a checkpoint', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-delete-sp-'));
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(job, { parallelism: 2, stateDir, checkpointIntervalMs: 0, retainedCheckpoints: 5, onWarning: () => {} }));
    while ((await h.checkpoint()).keyedEntries < 1000);
    const older = await h.savepoint('r');
    await h.deleteSavepoint('r');
    const newer = await h.savepoint('r');
    const after = await h.checkpoint();
    await h.cancel();
    const rows = async (): Promise<Map<number, string>> => {
      const store = await CheckpointStore.open(stateDir);
      try {
        return new Map((await inspectDir(store, true)).map((r) => [r.id, `${r.kind} ${r.name ?? ''} ${r.status}`.trim()]));
      } finally {
        await store.close();
      }
    };
    const before = await rows();
    assert.equal(before.get(older.id), 'checkpoint  verified');
    assert.equal(before.get(newer.id), 'savepoint r verified');
    const d = await deleteSavepoint(stateDir, 'r');
    assert.deepEqual([d.id, d.checkpointDeleted], [newer.id, true]);
    const left = await rows();
    assert.ok(!left.has(newer.id));
    assert.equal(left.get(older.id), 'checkpoint  verified', 'the older manifest of the name stays');
    assert.ok([...left.values()].every((r) => r.endsWith('verified')), JSON.stringify([...left]));
    const r = endsWithTest(t, await run(job, { parallelism: 2, stateDir, resume: { checkpoint: older.id }, checkpointIntervalMs: 0, onWarning: () => {} }));
    assert.equal(r.restoredFrom, older.id);
    await r.cancel();
    assert.ok(left.has(after.id));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
