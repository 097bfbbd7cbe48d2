// File splits on a resume (restoreFileSplits): restored files no pattern matches are dropped; files the restored
// splits lack are noted only where they cannot be ones read to their end (which leave the checkpoint). A split is
// its file (device and inode): found renamed, it is read on under its new name; following, one whose path holds
// another file and that is nowhere else ends, noted.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { restoreFileSplits } from '../../../../core/connectors/file/file-split.js';

test('restoreFileSplits: bounded, a pattern that still matches a restored file says nothing of the others (they may be finished); one that matches none of them is noted; a file no longer matched is dropped', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-file-split-'));
  try {
    for (const f of ['x.jsonl', 'y.jsonl', 'z.jsonl']) writeFileSync(path.join(dir, f), '{}\n');
    const x = { id: path.join(dir, 'x.jsonl'), position: { offset: 3, line: 2 } };
    const same = await restoreFileSplits(['*.jsonl'], { cwd: dir }, [x]);
    assert.deepEqual(same, { splits: [x], notes: [] });
    const other = await restoreFileSplits(['y.jsonl'], { cwd: dir }, [x]);
    assert.deepEqual(other.splits, []);
    assert.equal(other.notes!.length, 2);
    assert.match(other.notes![0]!, /^path "y\.jsonl" matches '.*\/y\.jsonl', not among the files the checkpoint reads: it is not read \(unless read to the end before the checkpoint\)\./);
    assert.match(other.notes![1]!, /^file '.*\/x\.jsonl' is no longer matched by the configured paths \("y\.jsonl"\): not read any more/);
    // Following, no file ends: every file the restored splits lack is new to the job.
    const follow = await restoreFileSplits(['*.jsonl'], { cwd: dir, follow: true }, [x]);
    assert.deepEqual(follow.splits, [{ ...x, position: { ...x.position, ...identity(x.id) } }], 'following, the split records the file its path holds (its id as restored)');
    assert.match(follow.notes![0]!, /^path "\*\.jsonl" matches '.*\/y\.jsonl', '.*\/z\.jsonl', not among the files the checkpoint reads: they are not read\. /);
    // A path that matches nothing now is no error on a resume (its file may have been read and removed).
    const gone = await restoreFileSplits(['w.jsonl', 'x.jsonl'], { cwd: dir }, [x]);
    assert.deepEqual(gone, { splits: [x], notes: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function identity(f: string): { dev: string; ino: string } {
  const s = statSync(f, { bigint: true });
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

/** A split's row as checkpoints hold it: its path, then its file's device and inode. */
function row(file: string, position: { offset: number; line: number; dev: string; ino: string }): { id: string; position: object } {
  return { id: `${file}@${position.dev}:${position.ino}`, position };
}

// Regression: a split was its path. Rotated (renamed, a new file at the path) between a checkpoint and a resume,
// the new file was read from the checkpoint's offset (wrong or skipped lines) and, discovering, the rotated one
// again from its start.
test('restoreFileSplits, rotated since the checkpoint: the split reads on in its file under the new name; one renamed out of the patterns ends, noted, and the file at its path is another', async () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-file-split-')));
  try {
    const log = path.join(dir, 'app.log');
    writeFileSync(log, '{}\n{}\n');
    const split = { id: log, position: { offset: 3, line: 2, ...identity(log) } };
    renameSync(log, `${log}.1`);
    writeFileSync(log, '{}\n');
    const fresh = identity(log);
    const r = await restoreFileSplits(['app.log*'], { cwd: dir, follow: true, discover: true }, [split]);
    assert.deepEqual(r.splits, [row(`${log}.1`, split.position), row(log, { offset: 0, line: 1, ...fresh })]);
    assert.deepEqual(r.notes, [`file '${log}' is now named '${log}.1' (renamed since the checkpoint, as log rotation does: the same device and inode): read on there from line 2`]);
    // Not discovering: read on under the new name too; the new file is noted, not read.
    const fixed = await restoreFileSplits(['app.log*'], { cwd: dir, follow: true }, [split]);
    assert.deepEqual(fixed.splits, [row(`${log}.1`, split.position)]);
    assert.match(fixed.notes!.join(' | '), /matches '.*\/app\.log', not among the files the checkpoint reads/);
    // The rotated name not matched: following, its split ends, with what is lost.
    const out = await restoreFileSplits(['*.log'], { cwd: dir, follow: true }, [split]);
    assert.deepEqual(out.splits, []);
    assert.equal(out.notes![0], `file '${log}' holds another file than the checkpoint reads (another device and inode: rotated or replaced since), and no file the patterns match is that one (renamed away or deleted): its lines before line 2 (byte 3) were read; whatever it held after that is lost. Its split ends`);
    // Discovering, its reader looks for it in its scans (a listing races renames) and ends it, said, if they never
    // find it; the file at the path is new.
    const sought = await restoreFileSplits(['*.log'], { cwd: dir, follow: true, discover: true }, [split]);
    // Two splits at one path, two ids: the new file's names it (`split` keeps its id, from a checkpoint from before).
    assert.deepEqual(sought.splits, [split, row(log, { offset: 0, line: 1, ...fresh })]);
    assert.deepEqual((await restoreFileSplits(['*.log'], { cwd: dir, follow: true, discover: true }, sought.splits)).splits, sought.splits, 'restored from those rows, the same rows');
    assert.deepEqual(sought.notes, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
