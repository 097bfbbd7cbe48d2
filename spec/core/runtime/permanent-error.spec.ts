// Which failures skip the restart strategy: a file sink's parts cut short or gone, found by a commit or a restore,
// are (as such or as a sink commit's cause); an I/O error reading its record is not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { permanent } from '../../../core/runtime/permanent-error.js';
import { FileCommitError, SinkCommitError } from '../../../core/connectors/errors.js';
import { publishPart, readyOpenPart } from '../../../core/connectors/file/part-files.js';
import { CommittedParts, committedRecordName } from '../../../core/connectors/file/committed-parts.js';
import { revive } from '../../../core/runtime/revive-error.js';

async function thrown(f: () => unknown): Promise<Error> {
  try { await f(); } catch (e) { return e as Error; }
  assert.fail('did not throw');
}

const asCommitCause = (e: Error): Error => new SinkCommitError(`sink 'parts' (file): publishing checkpoint 3's transactions failed: ${e.message}`, { cause: e });

test('an open part truncated or deleted, a pending part cut short, a damaged record: permanent, also as a sink commit\'s cause', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-permanent-'));
  try {
    writeFileSync(path.join(dir, '.part-0.inprogress'), 'abc');
    const truncated = await thrown(() => readyOpenPart(dir, { inProgress: '.part-0.inprogress', final: 'part-0.jsonl', bytes: 10, records: 2 }));
    const deleted = await thrown(() => readyOpenPart(dir, { inProgress: '.part-1.inprogress', final: 'part-1.jsonl', bytes: 10, records: 2 }));
    writeFileSync(path.join(dir, '.part-2.pending'), 'abc');
    const short = await thrown(() => publishPart(dir, { pending: '.part-2.pending', final: 'part-2.jsonl', bytes: 10, records: 2 }));
    const names = { prefix: 'part', suffix: '.jsonl' };
    writeFileSync(path.join(dir, committedRecordName(names)), 'not json');
    const damaged = await thrown(() => CommittedParts.read(dir, names));
    for (const e of [truncated, deleted, short, damaged]) {
      assert.equal(e.name, 'FileCommitError', e.message);
      assert.equal(permanent(e), true, e.message);
      assert.equal(permanent(asCommitCause(e)), true, e.message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a record that cannot be read (an I/O error) and a FileCommitError not marked permanent stay restartable', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-permanent-'));
  try {
    const names = { prefix: 'part', suffix: '.jsonl' };
    mkdirSync(path.join(dir, committedRecordName(names)));
    const unreadable = await thrown(() => CommittedParts.read(dir, names));
    assert.match(unreadable.message, /cannot be read: EISDIR/);
    for (const e of [unreadable, new FileCommitError('file sink: write after finish')]) {
      assert.equal(permanent(e), false, e.message);
      assert.equal(permanent(asCommitCause(e)), false, e.message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file sink subtask\'s FileCommitError (an end of input published on its worker thread) keeps permanent across the thread', () => {
  const fromWorker = (lasting: boolean): Error => revive({
    name: 'OperatorError', operator: 'parts', subtask: 0, message: "operator 'parts' (subtask 0) failed: cannot commit /out/.part-0.pending: it has 3 bytes, not the 10 written before the checkpoint",
    causeName: 'FileCommitError', causeCode: 'FILE_COMMIT_FAILED', causeFields: { code: 'FILE_COMMIT_FAILED', permanent: lasting },
  });
  assert.equal(permanent(fromWorker(true)), true);
  assert.equal(permanent(fromWorker(false)), false);
});
