// What `sluice inspect` prints about checkpoints, from their rows (the whole command runs in operations.it.spec.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dirProblems, inspectCommand, renderDetail, renderList, sampleGroup, type CheckpointRow } from '../../../core/cli/inspect.js';
import { captured } from '../../support/captured-output.js';
import { CheckpointStore, pad } from '../../../core/checkpoint/store.js';
import { writePublishedMark } from '../../../core/checkpoint/published-mark.js';
import { storeWithDamagedKey } from '../checkpoint/fixtures/leveldb-damage.js';
import { indexBlock, writeTables } from '../checkpoint/fixtures/leveldb-tables.js';
import { BUSY, COMMANDED, startLevelDbWriter } from '../checkpoint/fixtures/leveldb-writer-thread.js';
import { snapshotStateDir } from '../../../core/checkpoint/store-snapshot.js';

const row = (id: number, extra: Partial<CheckpointRow> = {}): CheckpointRow => ({
  id, kind: 'checkpoint', name: null, createdAt: '2026-12-04T05:00:00.000Z', bytes: 2048, chunks: 3, keyedEntries: 10,
  finished: false, unaligned: false, abandoned: false, status: 'verified', problem: null, ...extra,
});

// Whether a checkpoint is unaligned decides whether a restore at another parallelism may be refused, so the list says so.
test('the list marks unaligned checkpoints and final ones', () => {
  const text = renderList('/s', [row(3, { unaligned: true }), row(2), row(1, { finished: true })]);
  assert.match(text, /^\s*3\s+checkpoint \(unaligned\)\s/m);
  assert.match(text, /^\s*2\s+checkpoint\s+2026/m);
  assert.match(text, /^\s*1\s+checkpoint \(end\)\s/m);
});

// A broadcast process operator over broadcast() with no state of its own writes no part: "operator state: 0 part(s),
// 0 B" said there was something to look at.
test('the detail says "no state" for an operator whose operator state has no part written', () => {
  const op = (uid: string, parts: number) => ({ uid, name: uid, kind: 'broadcastProcess', parallelism: 2, keyed: null, operatorState: { redistribute: 'broadcast', parts, bytes: parts * 10 } });
  const text = renderDetail({ ...row(4), maxParallelism: 128, jobFingerprint: 'f', operators: [op('empty', 0), op('rules', 2)], sources: [], inFlight: [] });
  assert.match(text, /^  empty, broadcastProcess, parallelism 2\n    no state$/m);
  assert.match(text, /^  rules, broadcastProcess, parallelism 2\n    operator state: 2 part\(s\), 20 B, redistributed by broadcast$/m);
  assert.doesNotMatch(text, /0 part\(s\)/);
});

// Regressions: inspect listed intact checkpoints and exited 0 for directories a resume refuses.
test('dirProblems: keys that cannot be listed, a damaged PUBLISHED mark, published output newer than every intact checkpoint', async () => {
  const problemsOf = async (dir: string, rows: CheckpointRow[]): Promise<{ published: number | null; problems: string[] }> => {
    const store = await CheckpointStore.open(dir);
    try { return await dirProblems(store, rows); } finally { await store.close(); }
  };
  const damaged = mkdtempSync(path.join(tmpdir(), 'sluice-inspect-'));
  await storeWithDamagedKey(damaged);
  const a = await problemsOf(damaged, []);
  assert.equal(a.problems.length, 1);
  assert.match(a.problems[0]!, /keys cannot be listed/);

  const behind = mkdtempSync(path.join(tmpdir(), 'sluice-inspect-'));
  writePublishedMark(behind, 17);
  assert.deepEqual(await problemsOf(behind, [row(17)]), { published: 17, problems: [] });
  const b = await problemsOf(behind, [row(17, { status: 'corrupt', problem: 'x' }), row(12)]);
  assert.equal(b.published, 17);
  assert.match(b.problems.join('\n'), /output up to checkpoint 17 was already published, but the newest intact checkpoint is 12: run --resume refuses/);
  assert.match((await problemsOf(behind, [])).problems.join('\n'), /newest intact checkpoint is none/);

  writeFileSync(path.join(behind, 'PUBLISHED'), '{"9heckpointId":17}');
  const c = await problemsOf(behind, [row(12)]);
  assert.equal(c.published, null);
  assert.equal(c.problems.length, 1, 'named once (maxId reads the mark too)');
  assert.match(c.problems[0]!, /PUBLISHED file is damaged/);
});

// Regression: keys that cannot be listed made the list a stack trace naming inspect's temporary
// copy of the directory; now a plain message about the directory itself, exit 1.
test('inspect of a directory whose keys cannot be listed: one plain line naming it, exit 1', async () => {
  const damaged = mkdtempSync(path.join(tmpdir(), 'sluice-inspect-'));
  // A manifest key: the list of checkpoints itself cannot be read.
  await storeWithDamagedKey(damaged, (i) => `m/${pad(i)}`, '5');
  const r = await captured(() => inspectCommand(damaged, { keys: 0, verify: true }));
  assert.equal(r.code, 1, r.out);
  assert.match(r.out, new RegExp(`^sluice inspect: state directory ${damaged.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is damaged: its keys cannot be listed`, 'm'));
  assert.doesNotMatch(r.out, /\.inspect-|    at /, 'no temporary copy, no stack');
  // The detail view too (regression: it still crashed there).
  const detail = await captured(() => inspectCommand(damaged, { checkpoint: 3, keys: 0, verify: true }));
  assert.equal(detail.code, 1, detail.out);
  assert.match(detail.out, /^sluice inspect: state directory .* is damaged: its keys cannot be listed/m);
  assert.doesNotMatch(detail.out, /\.inspect-|    at /);
});

// A damaged LevelDB table (its index block zeroed) stopped inspect in LevelDB's assertion, as it did a run; the
// table check refuses it, naming the directory's own table (not the snapshot's), and no snapshot is left behind.
// Regression: the refusal was retried on 5 copies (a running job's compaction can fail one), so damage that no job
// is writing was copied 5 times over; now the second copy finding it alike ends it, and the line says so.
test('inspect of a directory with a damaged LevelDB table: one plain line naming the table and the block, after 2 copies found it alike, exit 1', async () => {
  const damaged = mkdtempSync(path.join(tmpdir(), 'sluice-inspect-'));
  try {
    const [table] = await writeTables(damaged);
    const index = indexBlock(table!);
    const b = readFileSync(table!);
    writeFileSync(table!, b.fill(0, index.offset, index.offset + index.size));
    const r = await captured(() => inspectCommand(damaged, { keys: 0, verify: true }));
    assert.equal(r.code, 1, r.out);
    assert.ok(r.out.includes(`sluice inspect: state directory ${damaged} is damaged: LevelDB table ${table!} has a bad block CRC at offset ${index.offset} (index block of ${index.size} bytes)`), r.out);
    assert.ok(r.out.trimEnd().endsWith("Resume from a copy made before the damage, or start over in a new state directory. The damage persisted across copies: 2 copies of the directory taken one after the other found it alike (2 taken in all), so it is no running job's write in progress"), r.out);
    assert.equal(r.out.trimEnd().split('\n').length, 1, 'one line');
    assert.doesNotMatch(r.out, /\.inspect-|    at /, 'no temporary copy, no stack');
    assert.deepEqual(readdirSync(path.dirname(damaged)).filter((f) => f.startsWith(`.${path.basename(damaged)}.inspect-`)), []);
  } finally {
    rmSync(damaged, { recursive: true, force: true });
  }
});

/** Runs `f` on a fresh directory path; asserts that inspect left no snapshot beside it. */
async function withStateDir(f: (dir: string) => Promise<void>): Promise<void> {
  const root = mkdtempSync(path.join(tmpdir(), 'sluice-inspect-'));
  try {
    await f(path.join(root, 'state'));
    assert.deepEqual(readdirSync(root), ['state'], 'no snapshot left');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// Regression (review r1): inspect of a running job's directory that writes and compacts a lot said it was damaged
// ("LevelDB table N.ldb is missing ... start over in a new state directory"): the copy of a table written after the
// tables were copied was missing. Here the job writes a table at exactly that step of every copy: inspect lists the
// directory (after 5 copies it says it changed while read).
test('inspect of a directory whose job writes a table while each copy is taken lists it, never calling it damaged', { timeout: 60_000 }, async () => {
  await withStateDir(async (dir) => {
    const writer = await startLevelDbWriter(dir, COMMANDED);
    try {
      let copies = 0;
      const r = await captured(() => inspectCommand(dir, { keys: 0, verify: true }, (d) => snapshotStateDir(d, { afterFiles: () => { copies++; writer.flushNew(); } })));
      assert.equal(r.code, 0, r.out);
      assert.equal(copies, 5);
      assert.match(r.out, /changed while it was read \(a running job\)/);
      assert.match(r.out, /state directory .*: 0 checkpoint\(s\), 0 savepoint\(s\)/);
      assert.doesNotMatch(r.out, /damaged/);
    } finally {
      await writer.stop();
    }
  });
});

// A job whose compactions delete a table each copy needs before it is copied: no copy can be opened, and inspect
// says so, where it called the directory damaged (and advised throwing it away).
test('inspect of a directory whose job deletes a table each copy needs: could not take a consistent copy, not damaged', { timeout: 60_000 }, async () => {
  await withStateDir(async (dir) => {
    const writer = await startLevelDbWriter(dir, COMMANDED);
    try {
      let copies = 0;
      const take = (d: string): ReturnType<typeof snapshotStateDir> => snapshotStateDir(d, { afterFiles: () => { copies++; writer.flushNew(); }, afterManifest: () => writer.compactAll() });
      const r = await captured(() => inspectCommand(dir, { keys: 0, verify: true }, take));
      assert.equal(r.code, 1, r.out);
      assert.equal(copies, 5);
      assert.equal(r.out, `sluice inspect: could not take a consistent copy of ${dir}, a directory a running job is writing (its compactions deleted tables while 5 copies were taken): stop the job or retry\n`);
    } finally {
      await writer.stop();
    }
  });
});

// The case review r1 ran: a LevelDB that writes and compacts without pause (a tiny write buffer) while inspect runs
// against it again and again. Each one lists it, or says it could not take a consistent copy; none says damaged.
test('inspect runs against a LevelDB that writes and compacts without pause: listed or no consistent copy, never damaged', { timeout: 120_000 }, async () => {
  await withStateDir(async (dir) => {
    const writer = await startLevelDbWriter(dir, BUSY);
    try {
      // Enough batches that tables are flushed and compacted (5000 keys of 2000 bytes over a 32 KiB write buffer).
      await writer.writtenAtLeast(300);
      const before = writer.written();
      for (let i = 0; i < 8; i++) {
        const r = await captured(() => inspectCommand(dir, { keys: 0, verify: true }));
        assert.doesNotMatch(r.out, /damaged/, r.out);
        if (r.code !== 0) assert.match(r.out, /^sluice inspect: could not take a consistent copy of .*: stop the job or retry\n$/, r.out);
        else assert.match(r.out, /state directory .*: 0 checkpoint\(s\), 0 savepoint\(s\)/);
      }
      assert.ok(writer.written() > before, 'the writer wrote while inspect ran');
    } finally {
      await writer.stop();
    }
  });
});

// Regression: a key group's sample took only whole values, so a list or map written as patches (chunk format 5)
// showed as it was at its last whole write.
test("the key samples show a list's appends and a map's changes written as patches", async () => {
  const { KeyedStateBackend } = await import('../../../core/state/keyed-state-backend.js');
  const { ManualClocks } = await import('../state/fixtures.js');
  const { decodeKeyGroup } = await import('../../../core/state/key-group-codec.js');
  const b = new KeyedStateBackend('op', 1, true, new ManualClocks());
  b.currentKey = 'k';
  // 8 elements and entries: smaller lists and maps are written whole.
  b.listState<number>('l').addAll([1, 2, 3, 4, 5, 6, 7, 8]);
  for (const [i, k] of [...'abcdefgh'].entries()) b.mapState<string, number>('m').put(k, i);
  const chain = [b.snapshot(false).chunks[0]!.bytes];
  b.listState<number>('l').add(9);
  b.mapState<string, number>('m').remove('a');
  chain.push(b.snapshot(false).chunks[0]!.bytes);
  assert.ok(decodeKeyGroup(chain[1]!).tables.every((t) => t.puts.length === 0 && (t.patches?.length ?? 0) > 0), 'the delta holds patches');
  const samples = sampleGroup(0, chain, 10);
  assert.deepEqual(samples.map((s) => [s.state, s.value]).sort(), [['l', '[1,2,3,4,5,6,7,8,9]'], ['m', '{"b":1,"c":2,"d":3,"e":4,"f":5,"g":6,"h":7}']]);
});
