// A followed file that is deleted between the scan that found it and its opening was never read: it is skipped,
// with a warning, and the source reads on (it failed the job, every attempt until a scan no longer listed it). A
// file deleted after reading started keeps its behaviour: its open handle reads on and waits for growth, its split
// stays in the snapshot, and a reader restored past its start fails opening it (ENOENT).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { SOURCE_WAIT } from '../../../../core/connectors/source.js';
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
    owns: (id) => {
      if (id === gone && !deleted) { deleted = true; unlinkSync(gone); }
      return true;
    },
  }, (m) => warnings.push(m));
  try {
    const d = await drive(reader, { until: (x) => x.values.length >= 2 && warnings.length > 0 });
    assert.deepEqual(d.values.map((v) => v.i), [1, 2]);
    assert.equal(reader.skippedFiles, 1);
    assert.deepEqual(warnings, [`file source: ${gone} was deleted before it was opened (between the scan that found it and its opening): skipped, none of it was read`]);
    assert.deepEqual(reader.snapshot(1).map((s) => s.id), [kept], 'a skipped file is not in the checkpoint');
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

test('following: a file deleted after reading started is read on through its open handle and stays in the snapshot; restored past its start, opening it fails (ENOENT)', async () => {
  const dir = tmp();
  const file = path.join(dir, 'read.jsonl');
  writeFileSync(file, line(1) + line(2));
  const warnings: string[] = [];
  const reader = new FileSourceReader<{ i: number }>([{ id: file, position: { offset: 0, line: 1 } }], format, { follow: { pollIntervalMs: 10 } }, undefined, (m) => warnings.push(m));
  let restored: FileSourceReader<{ i: number }> | undefined;
  try {
    const d = await drive(reader, { until: (x) => x.values.length >= 2 });
    assert.deepEqual(d.values.map((v) => v.i), [1, 2]);
    unlinkSync(file);
    assert.equal(existsSync(file), false);
    assert.equal(reader.read(() => assert.fail('no more records'), 10, () => {}), SOURCE_WAIT, 'no failure: it waits for growth');
    const snap = reader.snapshot(1);
    assert.deepEqual(snap, [{ id: file, position: { offset: Buffer.byteLength(line(1) + line(2)), line: 3 } }]);
    assert.equal(warnings.length, 0, warnings.join(' | '));
    restored = new FileSourceReader<{ i: number }>(snap, format, { follow: true }, undefined, (m) => warnings.push(m));
    await assert.rejects(drive(restored), (e: unknown) => (e as { code?: string }).code === 'ENOENT');
    assert.equal(restored.skippedFiles, 0);
    assert.equal(warnings.length, 0, warnings.join(' | '));
  } finally {
    await reader.close();
    await restored?.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
