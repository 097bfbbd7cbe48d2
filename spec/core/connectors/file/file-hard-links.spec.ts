// A file found under several names (hard links) is read once, under the first, in every mode: bounded, following
// without discovery, across a restart (the checkpoint's splits straight into a reader) and a resume. Without
// discovery, hard links were two splits: read twice, and once opened both carried the same device and inode, so the
// first restart failed the job ('the same file is assigned twice to one reader').

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, linkSync, mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileSource } from '../../../../core/connectors/file/file-source.js';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { checkFileSplit, restoreFileSplits } from '../../../../core/connectors/file/file-split.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import type { ReaderContext, SourceSplit } from '../../../../core/connectors/source.js';
import { drive, type Drained } from '../drive.js';

const line = (i: number): string => `${JSON.stringify({ i })}\n`;
const format = jsonLines<{ i: number }>();

function identity(f: string): { dev: string; ino: string } {
  const s = statSync(f, { bigint: true });
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

async function linked(f: (dir: string, a: string, b: string) => Promise<void>): Promise<void> {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-hard-links-')));
  try {
    const a = path.join(dir, 'a.log');
    const b = path.join(dir, 'b.log');
    writeFileSync(a, line(1) + line(2));
    linkSync(a, b);
    await f(dir, a, b);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('following without discovery: hard links are one split, read once; a restart from its snapshot reads on', async () => {
  await linked(async (dir, a) => {
    const source = fileSource(['*.log'], format, { cwd: dir, follow: { pollIntervalMs: 10 } });
    const splits = await source.enumerateSplits!(1);
    assert.deepEqual(splits.map((s) => s.id), [a]);
    const warnings: string[] = [];
    const context: ReaderContext = { warn: (m) => { warnings.push(m); } };
    const first = source.createReader(0, 1, splits, context);
    let snapshot: SourceSplit[];
    try {
      const got: Drained<{ i: number }> = { values: [], bad: [], ended: false };
      await drive(first, { into: got, until: (d) => d.values.length >= 2 });
      appendFileSync(a, line(3));
      await drive(first, { into: got, until: (x) => x.values.some((v) => v.i === 3) });
      assert.deepEqual(got.values.map((v) => v.i), [1, 2, 3]);
      snapshot = first.snapshot(1);
      assert.deepEqual(snapshot.map(checkFileSplit), [{ id: a, position: { offset: 3 * line(1).length, line: 4, ...identity(a) } }]);
    } finally {
      await first.close!();
    }
    // A restart: the checkpoint's splits go to createReader as they are.
    const restarted = source.createReader(0, 1, snapshot, context);
    try {
      appendFileSync(a, line(4));
      const d = await drive(restarted, { until: (x) => x.values.length >= 1 });
      assert.deepEqual(d.values.map((v) => v.i), [4]);
      assert.deepEqual(warnings, []);
    } finally {
      await restarted.close!();
    }
  });
});

test('bounded: hard links are one split, read once, under the first name', async () => {
  await linked(async (dir, a) => {
    const source = fileSource(['*.log'], format, { cwd: dir });
    const splits = await source.enumerateSplits!(1);
    assert.deepEqual(splits.map((s) => s.id), [a]);
    const reader = source.createReader(0, 1, splits);
    try {
      const d = await drive(reader);
      assert.equal(d.ended, true);
      assert.deepEqual(d.values.map((v) => v.i), [1, 2]);
    } finally {
      await reader.close!();
    }
  });
});

test('a checkpoint holding one file under two names (linked after the start): a resume keeps the first and notes the other; a restart reads it once and warns', async () => {
  await linked(async (dir, a, b) => {
    const at = { offset: line(1).length, line: 2, ...identity(a) };
    const checkpoint = [{ id: a, position: at }, { id: b, position: at }];
    const resumed = await restoreFileSplits(['*.log'], { cwd: dir, follow: true }, checkpoint);
    assert.deepEqual(resumed.splits.map(checkFileSplit), [{ id: a, position: at }]);
    assert.deepEqual(resumed.notes, [`file '${b}' is '${a}' (one device and inode: hard links, or a link): read once, under '${a}'; the position restored for '${b}' is dropped`]);
    const warnings: string[] = [];
    const reader = new FileSourceReader<{ i: number }>(checkpoint, format, { follow: { pollIntervalMs: 10 } }, undefined, (m) => warnings.push(m), { patterns: ['*.log'], cwd: dir });
    try {
      appendFileSync(a, line(3));
      const d = await drive(reader, { until: (x) => x.values.some((v) => v.i === 3) });
      assert.deepEqual(d.values.map((v) => v.i), [2, 3]);
      assert.deepEqual(warnings, [`file source: ${b} is ${a} (one device and inode: hard links): read once, under ${a}; the position restored for ${b} is dropped`]);
      assert.deepEqual(reader.snapshot(2).map((s) => checkFileSplit(s).id), [a]);
    } finally {
      await reader.close();
    }
  });
});

// A restore lists every name of a file (file-split.ts): a split from before files were identified is found by its
// name, and listed one per file, a second name was taken for a file no longer matched and dropped.
test('a checkpoint from before files were identified, holding a file under its second name: a resume reads it on under that name', async () => {
  await linked(async (dir, _a, b) => {
    const at = { offset: line(1).length, line: 2 };
    const resumed = await restoreFileSplits(['*.log'], { cwd: dir, follow: true }, [{ id: b, position: at }]);
    assert.deepEqual(resumed.splits.map(checkFileSplit), [{ id: b, position: { ...at, ...identity(b) } }]);
    assert.doesNotMatch((resumed.notes ?? []).join(' | '), /no longer matched/);
  });
});
