// File splits on a resume (restoreFileSplits): restored files no pattern matches are dropped; files the restored
// splits lack are noted only where they cannot be ones read to their end (which leave the checkpoint).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
    assert.deepEqual(follow.splits, [x]);
    assert.match(follow.notes![0]!, /^path "\*\.jsonl" matches '.*\/y\.jsonl', '.*\/z\.jsonl', not among the files the checkpoint reads: they are not read\. /);
    // A path that matches nothing now is no error on a resume (its file may have been read and removed).
    const gone = await restoreFileSplits(['w.jsonl', 'x.jsonl'], { cwd: dir }, [x]);
    assert.deepEqual(gone, { splits: [x], notes: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
