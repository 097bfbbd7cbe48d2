// A followed file that is deleted between the scan that found it and its opening was never read: it is skipped,
// with a warning, and the source reads on (it failed the job, every attempt until a scan no longer listed it). A
// file deleted after reading started is read to its end through its open handle, then its split ends with a warning;
// one gone when a restore reads it on from a later position ends with a warning too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { checkFileSplit } from '../../../../core/connectors/file/file-split.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { drive } from '../drive.js';

function tmp(): string {
  return realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-vanished-')));
}

const line = (i: number): string => `${JSON.stringify({ i })}\n`;
const format = jsonLines<{ i: number }>();

// Regression: the reader failed with ENOENT (open), which failed the job.
test('discovering: a file the scan found and that is deleted before its opening is skipped with a warning; the rest is read, and a file made again at its path is new', async () => {
  const dir = tmp();
  const kept = path.join(dir, 'kept.jsonl');
  const gone = path.join(dir, 'gone.jsonl');
  writeFileSync(kept, line(1) + line(2));
  writeFileSync(gone, line(100));
  let deleted = false;
  const warnings: string[] = [];
  // The scan has listed both files; `owns` is asked before they are handed to the reader, which opens them after:
  // deleting there is the race, every time.
  const reader = new FileSourceReader<{ i: number }>([], format, { follow: { pollIntervalMs: 10 } }, {
    patterns: ['*.jsonl'], cwd: dir, intervalMs: 10,
    owns: (f) => {
      if (f.real === gone && !deleted) { deleted = true; unlinkSync(gone); }
      return true;
    },
  }, (m) => warnings.push(m));
  try {
    const d = await drive(reader, { until: (x) => x.values.length >= 2 && warnings.length > 0 });
    assert.deepEqual(d.values.map((v) => v.i), [1, 2]);
    assert.equal(reader.skippedFiles, 1);
    assert.deepEqual(warnings, [`file source: ${gone} was deleted before it was opened (between the scan that found it and its opening): skipped, none of it was read`]);
    assert.deepEqual(reader.snapshot(1).map((s) => checkFileSplit(s).id), [kept], 'a skipped file is not in the checkpoint');
    // The source reads on: the kept file's growth, and a file made again at the vanished path, from its start.
    appendFileSync(kept, line(3));
    writeFileSync(gone, line(101));
    const more = await drive(reader, { until: (x) => x.values.length >= 2 });
    assert.deepEqual(more.values.map((v) => v.i).sort((a, b) => a - b), [3, 101]);
    assert.equal(reader.skippedFiles, 1);
  } finally {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('following: a restored file at its start that is gone is skipped too (nothing of it was read before the checkpoint)', async () => {
  const dir = tmp();
  const warnings: string[] = [];
  const gone = path.join(dir, 'gone.jsonl');
  const reader = new FileSourceReader<{ i: number }>([{ id: gone, position: { offset: 0, line: 1 } }], format, { follow: true }, undefined, (m) => warnings.push(m));
  try {
    const d = await drive(reader);
    assert.equal(d.ended, true, 'without discovery and with no file left, the source ends');
    assert.equal(reader.skippedFiles, 1);
    assert.equal(warnings.length, 1);
  } finally {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: its open handle waited for growth for good, its split stayed in every checkpoint, and every restart
// from one failed opening it (ENOENT) until a resume with other patterns dropped it.
test('following: a file deleted after reading started is read to its end, said, and its split ends (it leaves the snapshot)', async () => {
  const dir = tmp();
  const file = path.join(dir, 'read.jsonl');
  const kept = path.join(dir, 'kept.jsonl');
  writeFileSync(file, line(1) + line(2));
  writeFileSync(kept, line(10));
  const warnings: string[] = [];
  const reader = new FileSourceReader<{ i: number }>([{ id: file, position: { offset: 0, line: 1 } }, { id: kept, position: { offset: 0, line: 1 } }], format, { follow: { pollIntervalMs: 10 } }, undefined, (m) => warnings.push(m));
  try {
    const d = await drive(reader, { until: (x) => x.values.length >= 3 });
    assert.deepEqual(d.values.map((v) => v.i).sort((a, b) => a - b), [1, 2, 10]);
    // Written before the deletion and not read yet: read through the handle. The unfinished last line is not.
    appendFileSync(file, line(3) + '{"i":4');
    unlinkSync(file);
    assert.equal(existsSync(file), false);
    const rest = await drive(reader, { until: () => warnings.length > 0 });
    assert.deepEqual(rest.values.map((v) => v.i), [3]);
    const size = Buffer.byteLength(line(1) + line(2) + line(3));
    assert.deepEqual(warnings, [`file source: ${file} was deleted while it was followed: read to its end (3 lines, ${size} bytes), but for its last 6 bytes, a line without its line end, which are not read; its split ends`]);
    assert.equal(reader.deletedFiles, 1);
    assert.deepEqual(reader.snapshot(1).map((s) => checkFileSplit(s).id), [kept], 'the deleted file is not in the checkpoint');
    // The other file is followed on.
    appendFileSync(kept, line(11));
    const more = await drive(reader, { until: (x) => x.values.length >= 1 });
    assert.deepEqual(more.values.map((v) => v.i), [11]);
  } finally {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: every restart failed with ENOENT (open), for good.
test('following: a file restored past its start and gone is said to be lost from there, and its split ends', async () => {
  const dir = tmp();
  const file = path.join(dir, 'read.jsonl');
  const warnings: string[] = [];
  const at = { offset: Buffer.byteLength(line(1) + line(2)), line: 3 };
  const restored = new FileSourceReader<{ i: number }>([{ id: file, position: at }], format, { follow: true }, undefined, (m) => warnings.push(m));
  try {
    const d = await drive(restored);
    assert.equal(d.ended, true, 'without discovery and with no file left, the source ends');
    assert.deepEqual(warnings, [`file source: ${file} was deleted (or renamed out of the patterns) after the checkpoint this job restored, which reads it on from line 3 (byte ${at.offset}): its lines before that were read; whatever it held after that is lost with it. Its split ends`]);
    assert.equal(restored.deletedFiles, 1);
    assert.equal(restored.skippedFiles, 0);
  } finally {
    await restored.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('not following: a file restored past its start and gone still fails the reader (ENOENT): bounded input is read whole or not at all', async () => {
  const dir = tmp();
  const file = path.join(dir, 'read.jsonl');
  const warnings: string[] = [];
  const restored = new FileSourceReader<{ i: number }>([{ id: file, position: { offset: 12, line: 2 } }], format, {}, undefined, (m) => warnings.push(m));
  try {
    await assert.rejects(drive(restored), (e: unknown) => (e as { code?: string }).code === 'ENOENT');
    assert.deepEqual(warnings, []);
  } finally {
    await restored.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
