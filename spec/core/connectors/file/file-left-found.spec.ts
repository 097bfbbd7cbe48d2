// Discovering, a followed file two scans in a row miss was renamed out of the patterns: read to its end, its split
// ends. Found again by a later scan (renamed back in), it was read again from its start (every line twice). Its
// reader is now kept open while the file has a name, and a scan that finds it reads on where it ended; deleted, it
// is forgotten (its inode may be another file's next).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, realpathSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { drive } from '../drive.js';

const line = (i: number): string => `${JSON.stringify({ i })}\n`;

/** dir/app.log (one line) read, renamed out of the patterns ('*.log') and let go; `scans(k)`: k more scans done. */
async function leftFile(f: (t: { dir: string; reader: FileSourceReader<{ i: number }>; values: number[]; warnings: string[]; scans: (k: number) => Promise<void>; kept: () => number; drive: (until: () => boolean) => Promise<void> }) => Promise<void>): Promise<void> {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-left-found-')));
  const log = path.join(dir, 'app.log');
  writeFileSync(log, line(0));
  writeFileSync(path.join(dir, 'live.log'), line(50));
  let asked = 0;
  let wanted = Infinity;
  let reached: () => void = () => {};
  const scans = (k: number): Promise<void> => new Promise((r) => { wanted = asked + k; reached = r; });
  const warnings: string[] = [];
  const reader = new FileSourceReader<{ i: number }>([], jsonLines<{ i: number }>(), { follow: { pollIntervalMs: 10 } }, {
    // Each scan asks about live.log (and app.log while it is matched).
    patterns: ['*.log'], cwd: dir, intervalMs: 10, owns: (x) => { if (x.real.endsWith('live.log') && ++asked >= wanted) reached(); return true; },
  }, (m) => warnings.push(m));
  const into = { values: [] as { i: number }[], bad: [], ended: false };
  const values: number[] = [];
  const run = async (until: () => boolean): Promise<void> => {
    await drive(reader, { into, until: () => { values.splice(0, values.length, ...into.values.map((v) => v.i)); return until(); }, deadlineMs: 10_000 });
  };
  try {
    await run(() => values.length >= 2);
    renameSync(log, path.join(dir, 'app.old'));
    await run(() => warnings.length > 0);
    assert.equal(reader.leftFiles, 1, warnings.join('\n'));
    await f({ dir, reader, values, warnings, scans, kept: () => (reader as unknown as { leftOpen: Map<string, unknown> }).leftOpen.size, drive: run });
  } finally {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('discovering: a file renamed out of the patterns, let go, then renamed back in is read on where it ended, not again from its start', async () => {
  await leftFile(async ({ dir, values, drive }) => {
    appendFileSync(path.join(dir, 'app.old'), line(1));
    renameSync(path.join(dir, 'app.old'), path.join(dir, 'back.log'));
    await drive(() => values.includes(1));
    assert.deepEqual(values.sort((a, b) => a - b), [0, 1, 50], 'line 0 once');
  });
});

test('discovering: a file renamed out of the patterns and let go is forgotten once deleted', async () => {
  await leftFile(async ({ dir, scans, kept }) => {
    assert.equal(kept(), 1, 'kept open while it has a name');
    unlinkSync(path.join(dir, 'app.old'));
    // The first scan after the deletion asks its open file; the next comes an interval after that one ended.
    await scans(2);
    assert.equal(kept(), 0);
  });
});
