// The file sink's record of the parts it fully published (committed-parts.ts), and what commits and restores make
// of a part with both its files gone: taken by a consumer only where the record lists it, a FileCommitError
// otherwise; the record written after the renames, pruned to the checkpoints still stored, a damaged one refused.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RollingFileWriter, commitFileSinkTransactions, recoverFileSink, type CommitRecord } from '../../../../core/connectors/file/rolling-file-writer.js';
import { CommittedParts, committedRecordName } from '../../../../core/connectors/file/committed-parts.js';
import { leftoverParts, type FileSinkTransaction } from '../../../../core/connectors/file/part-files.js';
import { JsonLinesEncoder } from '../../../../core/connectors/formats/jsonl.js';
import { FileCommitError } from '../../../../core/connectors/errors.js';
import type { CommitContext } from '../../../../core/connectors/sink.js';
import { warnOnce } from '../../../../core/runtime/warn-once.js';

let root = '';
let n = 0;
before(async () => { root = await mkdtemp(join(tmpdir(), 'sluice-committed-')); });
after(() => rm(root, { recursive: true, force: true }));
const freshDir = (): string => join(root, `out${n++}`);

const names = { prefix: 'part', suffix: '.jsonl' };
const enc = new JsonLinesEncoder<{ i: number }>();
const writer = (dir: string, rollIntervalMs = 0) => new RollingFileWriter<{ i: number }>({ dir, subtask: 0, encode: (v) => enc.encode(v), suffix: '.jsonl', rollIntervalMs });

/** A commit record for checkpoint `id`, with `stored` checkpoints in the state directory; warnings (each said once) go to `said`. */
function record(id: number, said: string[] = [], stored: number[] = [id]): CommitRecord & { context: CommitContext } {
  return { names, context: { checkpointId: id, sink: 'files', stored, warnOnce: onceInto(said) } };
}

/** One run's warnOnce per array: the test's runs are its arrays. */
const runs = new WeakMap<string[], CommitContext['warnOnce']>();
function onceInto(said: string[]): CommitContext['warnOnce'] {
  let w = runs.get(said);
  if (w === undefined) { w = warnOnce((m) => said.push(m)); runs.set(said, w); }
  return w;
}

const visible = async (dir: string): Promise<string[]> => (await readdir(dir)).filter((f) => !f.startsWith('.')).sort();

/** Moves every visible part of `dir` away, as a consumer of the directory does. */
async function take(dir: string): Promise<string[]> {
  const files = await visible(dir);
  for (const f of files) await unlink(join(dir, f));
  return files;
}

test('a commit writes the record after publishing; a part taken since is skipped at a commit that names it again, said once', async () => {
  const dir = freshDir();
  const w = writer(dir);
  for (let i = 0; i < 3; i++) w.write({ i });
  const tx = w.prepareCommit(1);
  assert.equal(CommittedParts.read(w.dir, names).size, 0, 'nothing recorded before the commit');
  await commitFileSinkTransactions([tx], record(1));
  const r = CommittedParts.read(w.dir, names);
  assert.ok(r.vouches(tx.parts[0]!.final, tx.parts[0]!.bytes));
  assert.ok(!r.vouches(tx.parts[0]!.final, tx.parts[0]!.bytes + 1), 'at its length only');
  assert.deepEqual(await take(dir), [tx.parts[0]!.final]);
  const said: string[] = [];
  await commitFileSinkTransactions([tx], record(2, said));
  await commitFileSinkTransactions([tx], record(2, said));
  assert.equal(said.length, 1, 'once per run (warnOnce keys it by the record)');
  assert.match(said[0]!, new RegExp(`${tx.parts[0]!.final}.*was published and is gone`));
  assert.deepEqual(await visible(dir), [], 'not published again');
});

test('without the record, or without a context, a part with both files gone stays a FileCommitError', async () => {
  const dir = freshDir();
  const w = writer(dir);
  w.write({ i: 1 });
  const tx = w.prepareCommit(1);
  await commitFileSinkTransactions([tx]);
  await take(dir);
  assert.equal(CommittedParts.read(w.dir, names).size, 0, 'a commit without a context records nothing');
  await assert.rejects(commitFileSinkTransactions([tx], record(2)), (e: unknown) => e instanceof FileCommitError && /does not list it/.test(e.message));
  // A pending file lost before its publish: the record lists only parts it saw published.
  w.write({ i: 2 });
  const tx2 = w.prepareCommit(2);
  await unlink(join(w.dir, tx2.parts[0]!.pending));
  await assert.rejects(commitFileSinkTransactions([tx2], record(2)), FileCommitError);
});

test('a restore: a taken closed part is skipped; an open part with its files gone fails unless a restore\'s publish of it is on record', async () => {
  const dir = freshDir();
  const w = writer(dir, 60_000);
  for (let i = 0; i < 3; i++) w.write({ i });
  const tx = w.prepareCommit(1);
  assert.ok(tx.open !== undefined);
  // Checkpoint 1's commit publishes nothing of an open part: the record does not list it.
  await commitFileSinkTransactions([tx], record(1));
  w.abort();
  await unlink(join(w.dir, tx.open.inProgress));
  await assert.rejects(recoverFileSink(dir, names, [tx], record(1).context), (e: unknown) => e instanceof FileCommitError && /in-progress/.test(e.message));

  const dir2 = freshDir();
  const w2 = writer(dir2, 60_000);
  for (let i = 0; i < 3; i++) w2.write({ i });
  const tx2 = w2.prepareCommit(1);
  w2.abort();
  // The restore publishes it (cut) and records that; a consumer takes it; a restore again skips it.
  await recoverFileSink(dir2, names, [tx2], record(1).context);
  assert.ok(CommittedParts.read(w2.dir, names).vouches(tx2.open!.final, tx2.open!.bytes));
  assert.deepEqual(await take(dir2), [tx2.open!.final]);
  const said: string[] = [];
  await recoverFileSink(dir2, names, [tx2], record(1, said).context);
  assert.equal(said.length, 1);
  assert.deepEqual(await visible(dir2), []);
  assert.deepEqual(await leftoverParts(w2.dir, names), [], 'nothing hidden left behind');
});

test('entries go once no stored checkpoint vouched for them; a savepoint keeps only its own', async () => {
  const dir = freshDir();
  const w = writer(dir);
  const txs: FileSinkTransaction[] = [];
  for (let id = 1; id <= 6; id++) {
    w.write({ i: id });
    txs.push(w.prepareCommit(id));
    // Checkpoint 2 a savepoint, kept for good; otherwise the newest three.
    const stored = [2, ...[id - 2, id - 1, id].filter((x) => x >= 1 && x !== 2)];
    await commitFileSinkTransactions([txs[id - 1]!], record(id, [], stored));
  }
  const r = CommittedParts.read(w.dir, names);
  const kept = txs.filter((t) => r.vouches(t.parts[0]!.final, t.parts[0]!.bytes)).map((t) => t.checkpointId);
  assert.deepEqual(kept, [2, 4, 5, 6]);
  assert.equal(r.size, 4);
  // A later commit that names an entry again stretches its range: it stays while that checkpoint is stored.
  await commitFileSinkTransactions([txs[3]!], record(9, [], [2, 9]));
  const again = CommittedParts.read(w.dir, names);
  assert.deepEqual(txs.filter((t) => again.vouches(t.parts[0]!.final, t.parts[0]!.bytes)).map((t) => t.checkpointId), [2, 4]);
});

test('a damaged record is a FileCommitError naming it, never read as "nothing published"', async () => {
  const dir = freshDir();
  const w = writer(dir);
  w.write({ i: 1 });
  const tx = w.prepareCommit(1);
  await commitFileSinkTransactions([tx], record(1));
  const file = join(w.dir, committedRecordName(names));
  const good = await readFile(file, 'utf8');
  const flipped = good.replace(/"part-0-([0-9a-f])/, (_m, c: string) => `"part-0-${c === 'a' ? 'b' : 'a'}`);
  assert.notEqual(flipped, good);
  for (const bad of [flipped, good.slice(0, -5), '[]', JSON.stringify({ format: 1, crc: 0, parts: [['x', 1, 1]] })]) {
    await writeFile(file, bad);
    assert.throws(() => CommittedParts.read(w.dir, names), (e: unknown) => e instanceof FileCommitError && e.message.includes(file) && /damaged/.test(e.message), bad);
    await assert.rejects(commitFileSinkTransactions([tx], record(2)), FileCommitError);
  }
  await writeFile(file, good);
  await commitFileSinkTransactions([tx], record(2));
});

test('the record is hidden, per prefix, and no leftover: recovery keeps it, a second sink in the directory has its own', async () => {
  const dir = freshDir();
  const w = writer(dir);
  w.write({ i: 1 });
  const tx = w.prepareCommit(1);
  await commitFileSinkTransactions([tx], record(1));
  assert.ok(committedRecordName(names).startsWith('.'));
  assert.notEqual(committedRecordName({ prefix: 'other', suffix: '.jsonl' }), committedRecordName(names));
  await recoverFileSink(dir, names, [], record(1).context);
  assert.ok((await readdir(w.dir)).includes(committedRecordName(names)));
  // A consumer that renames a published part within the directory: the final name is gone, so it counts as taken.
  await rename(join(w.dir, tx.parts[0]!.final), join(w.dir, 'consumed.jsonl'));
  await commitFileSinkTransactions([tx], record(2));
});

// Regression (review r3): two sinks in one directory whose parts differ in suffix alone shared `.part.committed`,
// and each pruned the other's entries by its own state directory's checkpoints.
test('the record is per prefix and suffix', () => {
  assert.notEqual(committedRecordName({ prefix: 'part', suffix: '.jsonl' }), committedRecordName({ prefix: 'part', suffix: '.csv' }));
});

// Review r3: the next record is staged before the renames and put in place right after them; a commit that fails on
// a part (its files gone, no evidence) puts nothing in place: the record stays what it was.
test('a commit that fails on a part leaves the record as it was (the staged one is not put in place)', async () => {
  const dir = freshDir();
  const w = writer(dir);
  w.write({ i: 1 });
  const tx1 = w.prepareCommit(1);
  await commitFileSinkTransactions([tx1], record(1));
  w.write({ i: 2 });
  const tx2 = w.prepareCommit(2);
  const before = await readFile(join(w.dir, committedRecordName(names)), 'utf8');
  await unlink(join(w.dir, tx2.parts[0]!.pending));
  await assert.rejects(commitFileSinkTransactions([tx2], record(2, [], [1, 2])), FileCommitError);
  assert.equal(await readFile(join(w.dir, committedRecordName(names)), 'utf8'), before);
  assert.ok(!CommittedParts.read(w.dir, names).vouches(tx2.parts[0]!.final, tx2.parts[0]!.bytes));
});

// A restore stages its record before its renames, as a commit does: it is read, and a damaged one refused, before
// anything is published; one that fails on a part puts nothing in place; one that succeeds lists closed and open parts.
test('a restore: a damaged record fails it naming the record before any part is published; one failing on a part leaves the record as it was', async () => {
  const dir = freshDir();
  const w = writer(dir);
  w.write({ i: 0 });
  const tx1 = w.prepareCommit(1);
  await commitFileSinkTransactions([tx1], record(1));
  const w2 = new RollingFileWriter<{ i: number }>({ dir, subtask: 0, encode: (v) => enc.encode(v), suffix: '.jsonl', rollIntervalMs: 60_000, rollRecords: 2 });
  for (let i = 1; i < 4; i++) w2.write({ i });
  const tx2 = w2.prepareCommit(2);
  assert.ok(tx2.parts.length === 1 && tx2.open !== undefined);
  w.abort();
  w2.abort();
  const file = join(w.dir, committedRecordName(names));
  const good = await readFile(file, 'utf8');
  await writeFile(file, good.slice(0, -5));
  await assert.rejects(recoverFileSink(dir, names, [tx1, tx2], record(2, [], [1, 2]).context), (e: unknown) => e instanceof FileCommitError && e.message.includes(file) && /damaged/.test(e.message));
  assert.deepEqual(await visible(dir), [tx1.parts[0]!.final], 'nothing more published');
  await writeFile(file, good);
  // The open part's in-progress file lost, nothing vouching for it: the restore fails, the record stays.
  const inProgress = join(w.dir, tx2.open!.inProgress);
  const kept = await readFile(inProgress);
  await unlink(inProgress);
  await assert.rejects(recoverFileSink(dir, names, [tx1, tx2], record(2, [], [1, 2]).context), (e: unknown) => e instanceof FileCommitError && /does not list it/.test(e.message));
  assert.equal(await readFile(file, 'utf8'), good);
  await writeFile(inProgress, kept);
  await recoverFileSink(dir, names, [tx1, tx2], record(2, [], [1, 2]).context);
  const r = CommittedParts.read(w.dir, names);
  assert.ok(r.vouches(tx2.parts[0]!.final, tx2.parts[0]!.bytes) && r.vouches(tx2.open!.final, tx2.open!.bytes), 'closed and open parts listed');
  assert.deepEqual(await visible(dir), [tx1.parts[0]!.final, tx2.parts[0]!.final, tx2.open!.final].sort());
  assert.deepEqual((await readdir(w.dir)).filter((f) => f.startsWith('.')), [committedRecordName(names)], 'no temp file or leftover');
});

test('prune keeps exactly the entries some stored checkpoint falls within (bisection against a plain scan)', async () => {
  const dir = freshDir();
  let seed = 7;
  const rnd = (k: number): number => { seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648; return seed % k; };
  for (let round = 0; round < 50; round++) {
    const r = CommittedParts.read(dir, names);
    const ranges = new Map<string, [number, number]>();
    for (let i = 0; i < 40; i++) {
      const lo = rnd(100);
      const hi = lo + rnd(5);
      r.published(`p${i}`, 1, lo);
      r.restamp(`p${i}`, hi);
      ranges.set(`p${i}`, [lo, hi]);
    }
    const stored = Array.from({ length: rnd(10) }, () => rnd(110));
    r.prune(stored);
    for (const [name, [lo, hi]] of ranges) assert.equal(r.vouches(name, 1), stored.some((id) => lo <= id && id <= hi), `${name} [${lo}, ${hi}] stored ${stored}`);
  }
});
