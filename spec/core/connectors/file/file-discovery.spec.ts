// A followed file source that discovers files (discoverIntervalMs): the option needs follow; an empty start is no
// error then; splits are named by real path, their owner's key; each subtask's reader adds, from their start, the
// files that appear that it owns and no others; a resume adds the files the checkpoint lacks instead of warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileSource } from '../../../../core/connectors/file/file-source.js';
import { fileOwner, splitOwner } from '../../../../core/connectors/file/file-discovery.js';
import { fileKey } from '../../../../core/connectors/file/file-identity.js';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { checkFileSplit, enumerateFileSplits, restoreFileSplits } from '../../../../core/connectors/file/file-split.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { ConnectorOptionError, NoInputFilesError } from '../../../../core/connectors/errors.js';
import { SOURCE_WAIT } from '../../../../core/connectors/source.js';
import { drive } from '../drive.js';

function tmp(): string {
  return realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-discover-')));
}

const line = (i: number): string => `${JSON.stringify({ i })}\n`;

/** A file's identity as the source records it (device and inode, decimal strings). */
function identity(f: string): { dev: string; ino: string } {
  const s = statSync(f, { bigint: true });
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

test('discoverIntervalMs without follow, or not a positive number, is a ConnectorOptionError; with follow the source deals splits by owner', () => {
  const format = jsonLines();
  assert.throws(() => fileSource('logs', format, { discoverIntervalMs: 100 }), (e: unknown) => e instanceof ConnectorOptionError && /discoverIntervalMs needs follow/.test(e.message));
  assert.throws(() => fileSource('logs', format, { follow: false, discoverIntervalMs: 100 }), ConnectorOptionError);
  for (const bad of [0, -1, Number.NaN, Infinity]) {
    assert.throws(() => fileSource('logs', format, { follow: true, discoverIntervalMs: bad }), (e: unknown) => e instanceof ConnectorOptionError && /positive number/.test(e.message), String(bad));
  }
  const spec = fileSource('logs', format, { follow: true, discoverIntervalMs: 100 });
  assert.equal(spec.ownerOf?.({ id: '/logs/a', position: { offset: 0, line: 1, dev: '7', ino: '42' } }, 3), fileOwner('7:42', 3), 'by the file, not its name');
  assert.equal(spec.ownerOf?.({ id: '/logs/a', position: { offset: 0, line: 1, dev: '7', ino: '42' } }, 3), splitOwner({ id: '/logs/b', position: { offset: 9, line: 2, dev: '7', ino: '42' } }, 3));
  assert.equal(spec.ownerOf?.({ id: '/logs/a', position: { offset: 0, line: 1 } }, 3), fileOwner('/logs/a', 3), 'a split from a checkpoint without identities: by its path');
  assert.equal(fileSource('logs', format, { follow: true }).ownerOf, undefined, 'without discovery splits are dealt as before');
});

test('discovering, an empty directory or a pattern that matches nothing yet is a legitimate start; splits are named by real path', async () => {
  const dir = tmp();
  try {
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    assert.deepEqual(await enumerateFileSplits(['link', '*.jsonl', 'missing.log'], { cwd: dir, discover: true }), []);
    await assert.rejects(enumerateFileSplits(['link'], { cwd: dir }), NoInputFilesError, 'without discovery an empty directory is still an error');
    writeFileSync(path.join(dir, 'real', 'a.jsonl'), line(1));
    assert.deepEqual((await enumerateFileSplits(['link'], { cwd: dir, discover: true })).map((s) => checkFileSplit(s).id), [path.join(dir, 'real', 'a.jsonl')]);
    assert.deepEqual((await enumerateFileSplits(['link'], { cwd: dir })).map((s) => s.id), [path.join(dir, 'link', 'a.jsonl')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('discovering readers of two subtasks: files created while they run are read from their start, each by its owner only, exactly once', async () => {
  const dir = tmp();
  const p = 2;
  const format = jsonLines<{ i: number }>();
  const readers = [0, 1].map((s) => new FileSourceReader<{ i: number }>([], format, { follow: { pollIntervalMs: 10 } }, {
    patterns: ['*.jsonl'], cwd: dir, intervalMs: 10, owns: (f) => fileOwner(fileKey(f), p) === s,
  }));
  const added: string[][] = [[], []];
  readers.forEach((r, s) => r.trackSplits({ add: (id) => added[s]!.push(id), switchTo: () => {}, end: () => {} }));
  try {
    // No file yet: waiting for one, not ended.
    assert.equal(readers[0]!.read(() => {}, 10, () => {}), SOURCE_WAIT);
    const names = Array.from({ length: 8 }, (_, f) => path.join(dir, `${f}.jsonl`));
    names.forEach((f, k) => writeFileSync(f, line(2 * k) + line(2 * k + 1)));
    const ownerOf = (f: string): number => fileOwner(fileKey(identity(f)), p);
    const owner = names.map(ownerOf);
    const expect = (s: number): number[] => names.flatMap((_, k) => (owner[k] === s ? [2 * k, 2 * k + 1] : []));
    const got = await Promise.all(readers.map((r, s) => drive(r, { until: (d) => d.values.length >= expect(s).length })));
    got.forEach((d, s) => assert.deepEqual(d.values.map((v) => v.i).sort((a, b) => a - b), expect(s), `subtask ${s} reads the files it owns`));
    // More lines in them, and a file more: read on, still by their owners only.
    names.forEach((f, k) => appendFileSync(f, line(100 + k)));
    writeFileSync(path.join(dir, 'late.jsonl'), line(200));
    const lateOwner = ownerOf(path.join(dir, 'late.jsonl'));
    const files = (s: number): number => owner.filter((o) => o === s).length;
    await Promise.all(readers.map((r, s) => drive(r, { into: got[s], until: (d) => d.values.length >= 3 * files(s) + (lateOwner === s ? 1 : 0) })));
    const all = got.flatMap((d) => d.values.map((v) => v.i)).sort((a, b) => a - b);
    assert.deepEqual(all, [...Array.from({ length: 16 }, (_, i) => i), ...Array.from({ length: 8 }, (_, k) => 100 + k), 200]);
    readers.forEach((r, s) => {
      const mine = [...names, path.join(dir, 'late.jsonl')].filter((f) => ownerOf(f) === s).sort();
      assert.deepEqual(r.snapshot(1).map((x) => checkFileSplit(x).id).sort(), mine, `subtask ${s} holds exactly its files`);
      assert.deepEqual([...added[s]!].sort(), mine.map((f) => fileKey(identity(f))).sort(), 'each discovered file is added to the split tracker');
    });
  } finally {
    await Promise.all(readers.map((r) => r.close()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('restoreFileSplits while discovering: files the checkpoint lacks are new and added at their start, no warning; restored ones keep their positions under their real paths', async () => {
  const dir = tmp();
  try {
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    for (const f of ['x.jsonl', 'y.jsonl']) writeFileSync(path.join(dir, 'real', f), line(1));
    const x = { id: path.join(dir, 'link', 'x.jsonl'), position: { offset: 8, line: 2 } };
    const [xs, ys] = ['x.jsonl', 'y.jsonl'].map((f) => identity(path.join(dir, 'real', f)));
    const known = { ...x, position: { ...x.position, ...xs } };
    const r = await restoreFileSplits(['link/*.jsonl'], { cwd: dir, follow: true, discover: true }, [known]);
    assert.deepEqual({ ...r, splits: r.splits.map(checkFileSplit) }, { splits: [{ id: path.join(dir, 'real', 'x.jsonl'), position: { offset: 8, line: 2, ...xs } }, { id: path.join(dir, 'real', 'y.jsonl'), position: { offset: 0, line: 1, ...ys } }], notes: [] });
    const without = await restoreFileSplits(['link/*.jsonl'], { cwd: dir, follow: true }, [known]);
    assert.deepEqual(without.splits.map(checkFileSplit), [known]);
    assert.equal(without.notes!.length, 1, 'without discovery the new file is warned about, not read');
    // A checkpoint that did not record files: the path is taken to hold its file, which the split now records.
    const old = await restoreFileSplits(['link/*.jsonl'], { cwd: dir, follow: true, discover: true }, [x]);
    assert.deepEqual(checkFileSplit(old.splits[0]!), { id: path.join(dir, 'real', 'x.jsonl'), position: { offset: 8, line: 2, ...xs } });
    assert.match(old.notes!.join(' | '), /does not record which file its split reads .* read on from its path as before/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
