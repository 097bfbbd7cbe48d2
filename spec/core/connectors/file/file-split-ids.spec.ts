// A split's id in checkpoints is unique within its source: its path, then its file's device and inode once known.
// The path alone was not: a split looked for by its file (its path holds another, file-search.ts) and the new file
// at that path were two rows with one id (so were, for up to a scan, a file rotated on one subtask and the new one
// another had found). Checkpoints from before (the path alone) restore as they did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { checkFileSplit } from '../../../../core/connectors/file/file-split.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { drive } from '../drive.js';

const line = (i: number): string => `${JSON.stringify({ i })}\n`;
const format = jsonLines<{ i: number }>();

function identity(f: string): { dev: string; ino: string } {
  const s = statSync(f, { bigint: true });
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

test('discovering: a looked-for split and the new file at its path are two ids in one snapshot; a restart from it reads each on in its own file', async () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-split-ids-')));
  const log = path.join(dir, 'app.log');
  writeFileSync(log, line(0) + line(1) + line(2));
  const old = identity(log);
  // The checkpoint (from before: the path alone) read it to its second line; rotated out of the patterns since.
  const split = { id: log, position: { offset: line(0).length, line: 2, ...old } };
  renameSync(log, path.join(dir, 'moved'));
  writeFileSync(log, line(100));
  const fresh = identity(log);
  const scan = { patterns: ['app.log*'], cwd: dir, intervalMs: 1e9, owns: () => true };
  const first = new FileSourceReader<{ i: number }>([split], format, { follow: { pollIntervalMs: 10 } }, scan, () => {});
  const inner = first as unknown as { sought: Map<string, unknown> };
  let rows;
  try {
    await drive(first, { until: (d) => inner.sought.size === 1 && d.values.length >= 1, deadlineMs: 10_000 });
    rows = first.snapshot(1);
  } finally {
    await first.close();
  }
  assert.equal(new Set(rows.map((r) => r.id)).size, 2, `two ids: ${rows.map((r) => r.id).join(', ')}`);
  assert.deepEqual(rows.map((r) => r.id).sort(), [`${log}@${old.dev}:${old.ino}`, `${log}@${fresh.dev}:${fresh.ino}`].sort());
  assert.deepEqual(rows.map(checkFileSplit).map((s) => s.id), [log, log], 'both at its path');
  // Found again under a name the patterns match: a restart from those rows reads each on where it was.
  renameSync(path.join(dir, 'moved'), `${log}.1`);
  appendFileSync(log, line(101));
  const warnings: string[] = [];
  const restarted = new FileSourceReader<{ i: number }>(rows, format, { follow: { pollIntervalMs: 10 } }, { ...scan, intervalMs: 10 }, (m) => warnings.push(m));
  try {
    const d = await drive(restarted, { until: (x) => x.values.length >= 3, deadlineMs: 10_000 });
    assert.deepEqual(d.values.map((v) => v.i).sort((a, b) => a - b), [1, 2, 101]);
    assert.deepEqual(warnings, []);
  } finally {
    await restarted.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a row\'s path: the id less its own device and inode; an id without them (a checkpoint from before) is the path', () => {
  const position = { offset: 3, line: 2, dev: '7', ino: '42' };
  assert.equal(checkFileSplit({ id: '/d/a.log@7:42', position }).id, '/d/a.log');
  assert.equal(checkFileSplit({ id: '/d/a.log', position }).id, '/d/a.log');
  assert.equal(checkFileSplit({ id: '/d/a.log@7:43', position }).id, '/d/a.log@7:43', 'another file\'s suffix is part of the path');
  assert.equal(checkFileSplit({ id: '/d/a.log@7:42', position: { offset: 0, line: 1 } }).id, '/d/a.log@7:42', 'no file known: the id is the path');
});
