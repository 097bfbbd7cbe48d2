// The file sink's two-phase commit on real files: rolling, pending parts per checkpoint, idempotent commit,
// and recovery after a real crash (a child process killed between prepare and commit).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, readdir, rename, rm } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { RollingFileWriter } from '../../../../core/connectors/file/rolling-file-writer.js';
import type { FileSinkTransaction } from '../../../../core/connectors/file/part-files.js';
import { CsvEncoder } from '../../../../core/connectors/formats/csv.js';
import { JsonLinesEncoder } from '../../../../core/connectors/formats/jsonl.js';
import { ConnectorOptionError, EncodeError, FileCommitError } from '../../../../core/connectors/errors.js';

let root = '';
let n = 0;
before(async () => { root = await mkdtemp(join(tmpdir(), 'sluice-sink-')); });
after(() => rm(root, { recursive: true, force: true }));
const freshDir = (): string => join(root, `out${n++}`);

const enc = new JsonLinesEncoder<{ i: number }>();
const jsonWriter = (dir: string, extra: Partial<ConstructorParameters<typeof RollingFileWriter<{ i: number }>>[0]> = {}) =>
  new RollingFileWriter<{ i: number }>({ dir, subtask: 0, encode: (v) => enc.encode(v), suffix: '.jsonl', ...extra });

async function listing(dir: string): Promise<{ visible: string[]; hidden: string[] }> {
  const all = (await readdir(dir)).sort();
  return { visible: all.filter((f) => !f.startsWith('.')), hidden: all.filter((f) => f.startsWith('.')) };
}

/** Every record in the visible files, in file-name then line order. */
async function published(dir: string): Promise<number[]> {
  const out: number[] = [];
  for (const f of (await listing(dir)).visible) {
    for (const line of (await readFile(join(dir, f), 'utf8')).split('\n')) if (line) out.push((JSON.parse(line) as { i: number }).i);
  }
  return out;
}

test('nothing is visible before the commit; prepareCommit leaves durable pending parts; commit publishes them', async () => {
  const dir = freshDir();
  const w = jsonWriter(dir, { rollRecords: 3 });
  for (let i = 0; i < 7; i++) w.write({ i });
  assert.deepEqual((await listing(dir)).visible, []);
  const tx = w.prepareCommit(1);
  assert.deepEqual(tx.parts.map((p) => p.records), [3, 3, 1]);
  assert.ok(tx.parts.every((p) => p.pending.startsWith('.part-0-') && p.pending.endsWith('.jsonl.pending')));
  assert.deepEqual(JSON.parse(JSON.stringify(tx)), tx, 'the transaction is plain data');
  assert.deepEqual((await listing(dir)).visible, []);
  await w.commit([tx]);
  assert.deepEqual(await published(dir), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual((await listing(dir)).hidden, []);
  assert.deepEqual(w.prepareCommit(2).parts, [], 'no records since: an empty transaction, no empty file');
});

test('rolling by size; a header starts every part (CSV)', async () => {
  const dir = freshDir();
  const csv = new CsvEncoder({ columns: ['i', 's'] });
  const w = new RollingFileWriter<{ i: number; s: string }>({ dir, subtask: 2, encode: (r) => csv.encode(r), header: csv.header(), suffix: '.csv', rollBytes: 20 });
  for (let i = 0; i < 6; i++) w.write({ i, s: i % 2 ? 'x,y' : 'z' });
  const tx = w.prepareCommit(1);
  await w.commit([tx]);
  const { visible } = await listing(dir);
  assert.ok(visible.length >= 2 && visible.every((f) => f.startsWith('part-2-') && f.endsWith('.csv')));
  const texts = await Promise.all(visible.map((f) => readFile(join(dir, f), 'utf8')));
  assert.ok(texts.every((t) => t.startsWith('i,s\n')));
  assert.equal(texts.join('').replaceAll('i,s\n', ''), '0,z\n1,"x,y"\n2,z\n3,"x,y"\n4,z\n5,"x,y"\n');
  assert.equal(tx.parts.reduce((a, p) => a + p.bytes, 0), texts.reduce((a, t) => a + Buffer.byteLength(t), 0));
});

test('commit is idempotent: again, after a crash between two renames, and out of order', async () => {
  const dir = freshDir();
  const w = jsonWriter(dir, { rollRecords: 2 });
  for (let i = 0; i < 6; i++) w.write({ i });
  const tx1 = w.prepareCommit(1);
  w.write({ i: 6 });
  const tx2 = w.prepareCommit(2);
  // A commit cut short: the first part renamed, the others not.
  await rename(join(dir, tx1.parts[0]!.pending), join(dir, tx1.parts[0]!.final));
  await w.commit([tx2, tx1]);
  await w.commit([tx1, tx2]);
  assert.deepEqual(await published(dir), [0, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual((await listing(dir)).hidden, []);
});

test('a part that is gone or changed is a FileCommitError, never a silent loss', async () => {
  const dir = freshDir();
  const w = jsonWriter(dir);
  w.write({ i: 1 });
  const tx = w.prepareCommit(1);
  await rm(join(dir, tx.parts[0]!.pending));
  await assert.rejects(w.commit([tx]), (e: unknown) => e instanceof FileCommitError && /neither it nor the pending file/.test(e.message) && /run the job afresh/.test(e.message));
  const bad = { ...tx, parts: [{ ...tx.parts[0]!, bytes: 999 }] };
  await assert.rejects(w.commit([{ kind: 'other' }]), FileCommitError);
  await assert.rejects(w.commit([bad]), FileCommitError);
});

test('finish publishes what is left at the end of a bounded input, prepared or not', async () => {
  const dir = freshDir();
  const w = jsonWriter(dir);
  w.write({ i: 0 });
  const tx = w.prepareCommit(1);
  w.write({ i: 1 });
  const { files } = w.finish();
  assert.equal(files.length, 2);
  assert.deepEqual(await published(dir), [0, 1]);
  await w.commit([tx]); // the runtime's late commit of the same transaction is a no-op
  assert.throws(() => w.write({ i: 2 }), FileCommitError);
});

// Regression: a cancelled run left its open part and the parts closed since the last barrier as hidden files, for
// good unless it was resumed (two per subtask and run in a review's loop of cancelled runs).
test('abort deletes the open part and the parts closed since the last barrier; prepared parts stay for a resume', async () => {
  const dir = freshDir();
  const w = jsonWriter(dir, { rollRecords: 1 });
  w.write({ i: 0 });
  w.retainPrepared = false;
  const tx = w.prepareCommit(1);
  w.write({ i: 1 });
  w.write({ i: 2 }); // rolls: one closed part, one open
  const hidden = (): string[] => readdirSync(dir).filter((f) => f.startsWith('.')).sort();
  assert.equal(hidden().length, 3);
  w.abort();
  assert.deepEqual(hidden(), tx.parts.map((p) => p.pending), 'only the prepared part is left');
  await w.commit([tx]);
  assert.deepEqual(await published(dir), [0]);
  assert.deepEqual(hidden(), []);
});

test('bad options and values are typed errors', () => {
  assert.throws(() => jsonWriter(freshDir(), { prefix: '.hidden' }), ConnectorOptionError);
  assert.throws(() => jsonWriter(freshDir(), { suffix: 'a/b' }), ConnectorOptionError);
  assert.throws(() => jsonWriter(freshDir(), { rollBytes: 0 }), ConnectorOptionError);
  const w = new RollingFileWriter<unknown>({ dir: freshDir(), subtask: 0, encode: (v) => new JsonLinesEncoder().encode(v) });
  assert.throws(() => w.write(undefined), EncodeError);
  w.abort();
});

async function crash(dir: string, mode: string): Promise<FileSinkTransaction[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/crashing-writer.ts', import.meta.url)), dir, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const txs: FileSinkTransaction[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    if (line === 'ready') break;
    txs.push(JSON.parse(line) as FileSinkTransaction);
  }
  // Killed after prepareCommit and before any commit: the state a crashed worker leaves.
  child.kill('SIGKILL');
  const [code, signal] = await once(child, 'exit') as [number | null, string | null];
  assert.equal(signal, 'SIGKILL', `child exited with ${code} before it was killed`);
  return txs;
}

test('crash between prepare and commit: recovery publishes the restored transaction, discards the rest', async () => {
  const dir = freshDir();
  const [tx1] = await crash(dir, 'one-checkpoint');
  const before = await listing(dir);
  assert.deepEqual(before.visible, []);
  assert.ok(before.hidden.some((f) => f.endsWith('.inprogress')) && before.hidden.some((f) => f.endsWith('.pending')));
  const w = jsonWriter(dir);
  const report = await w.recover([tx1]);
  assert.deepEqual(report.committed, tx1!.parts.map((p) => p.final));
  assert.equal(report.discarded.length, 2, 'the rolled part and the in-progress part written after the checkpoint');
  assert.deepEqual(await published(dir), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual((await listing(dir)).hidden, []);
  // Recovering again (a second failure during restore) changes nothing.
  await jsonWriter(dir).recover([tx1]);
  assert.deepEqual(await published(dir), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test('crash after a checkpoint that never completed: restored from the one before, its pending parts are discarded', async () => {
  const dir = freshDir();
  const [tx1, tx2] = await crash(dir, 'two-checkpoints');
  assert.ok(tx2!.parts.length > 0);
  const w = jsonWriter(dir);
  await w.recover([tx1]);
  assert.deepEqual(await published(dir), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual((await listing(dir)).hidden, []);
  // The new attempt writes on; its names never collide with the crashed attempt's.
  w.write({ i: 10 });
  await w.commit([w.prepareCommit(2)]);
  assert.deepEqual((await published(dir)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});
