// Discovering, a split whose file is missing when it opens is looked for by the next two scans (file-search.ts).
// While it is, its event time holds the subtask's watermark back (per-split watermarks): ended at once, the other
// files moved the watermark past its records, and found again, its backlog came late. Given up, it no longer does.
// Each test drives the reader to the end of what it waits for within a deadline: a reader that never woke fails.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { fileKey, matchIdentifiedFiles } from '../../../../core/connectors/file/file-identity.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { SplitWatermarks } from '../../../../core/time/split-watermarks.js';
import { WatermarkStrategy } from '../../../../core/time/watermark-strategy.js';
import { MIN_WATERMARK } from '../../../../core/time/watermark.js';
import type { BadRecord } from '../../../../core/connectors/source.js';
import { drive } from '../drive.js';

interface Ev { i: number; ts: number }
const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;
const lines = (from: number, n: number, ts: number): string => Array.from({ length: n }, (_, k) => `${JSON.stringify({ i: from + k, ts: ts + k })}\n`).join('');

function identity(f: string): { dev: string; ino: string } {
  const s = statSync(f, { bigint: true });
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

/**
 * dir/app.log (live, an hour ahead) and the restored split of dir/app.log.1 (a backlog, read to its second line at
 * the checkpoint) whose file is renamed out of the patterns (dir/moved) before it opens: looked for. The scan
 * (one: intervalMs 1e9) owns no file; the spec scans by hand (addFound), as file-search.spec does.
 */
async function soughtSplit(f: (t: {
  dir: string; reader: FileSourceReader<Ev>; watermarks: SplitWatermarks<Ev>; key: string; warnings: string[];
  late: Ev[]; values: Ev[]; drive: (until: () => boolean) => Promise<void>; scan: () => Promise<void>; inner: { sought: Map<string, unknown> };
}) => Promise<void>): Promise<void> {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-sought-wm-')));
  const log = path.join(dir, 'app.log');
  writeFileSync(`${log}.1`, lines(0, 5, T0));
  writeFileSync(log, lines(100, 5, T0 + HOUR));
  const backlog = { id: `${log}.1`, position: { offset: lines(0, 1, T0).length, line: 2, ...identity(`${log}.1`) } };
  const live = { id: log, position: { offset: 0, line: 1, ...identity(log) } };
  renameSync(`${log}.1`, path.join(dir, 'moved'));
  let scanned!: () => void;
  const firstScan = new Promise<void>((r) => { scanned = r; });
  const warnings: string[] = [];
  const reader = new FileSourceReader<Ev>([live, backlog], jsonLines<Ev>(), { follow: { pollIntervalMs: 10 } }, {
    patterns: ['app.log*'], cwd: dir, intervalMs: 1e9, owns: () => { scanned(); return false; },
  }, (m) => warnings.push(m), { patterns: ['app.log*'], cwd: dir, list: async (p) => { await firstScan; return matchIdentifiedFiles(p, { cwd: dir }); } });
  const watermarks = new SplitWatermarks<Ev>(WatermarkStrategy.forMonotonousTimestamps<Ev>());
  reader.trackSplits(watermarks);
  // What the timestamps operator behind the source does with each record; one arriving at or below the subtask's
  // watermark is late.
  const out = { watermark: MIN_WATERMARK, emitWatermark(w: number): void { if (w > this.watermark) this.watermark = w; } };
  const late: Ev[] = [];
  const into = { values: [] as Ev[], bad: [] as BadRecord[], ended: false };
  const timed = {
    read: (emit: (v: Ev) => void, max: number, invalid: (bad: BadRecord) => void) => reader.read((v) => {
      if (v.ts <= out.watermark) late.push(v);
      watermarks.onEvent(v, v.ts, out);
      watermarks.onPeriodicEmit(out);
      emit(v);
    }, max, invalid),
    ready: () => reader.ready(),
  };
  const inner = reader as unknown as { sought: Map<string, unknown>; addFound(files: unknown[]): void };
  try {
    await f({
      dir, reader, watermarks, key: fileKey(backlog.position), warnings, late, values: into.values, inner,
      drive: async (until) => { await drive(timed, { into, until, deadlineMs: 10_000 }); },
      scan: async () => { inner.addFound(await matchIdentifiedFiles(['app.log*'], { cwd: dir })); },
    });
  } finally {
    await reader.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('discovering: a looked-for split holds the watermark back while looked for, and its backlog, found again, is not late', async () => {
  await soughtSplit(async ({ dir, watermarks, key, late, values, warnings, drive, scan, inner }) => {
    await drive(() => inner.sought.size === 1 && values.length >= 5);
    assert.ok(watermarks.describe().some((s) => s.id === key), 'the looked-for split is still tracked');
    assert.equal(watermarks.low(), MIN_WATERMARK, 'the live file alone does not move the watermark');
    renameSync(path.join(dir, 'moved'), path.join(dir, 'app.log.2'));
    await scan(); // found: read on at its position
    await drive(() => values.length >= 9);
    assert.deepEqual(values.map((v) => v.i).sort((a, b) => a - b), [1, 2, 3, 4, 100, 101, 102, 103, 104]);
    assert.deepEqual(late, [], 'no record of the backlog is late');
    assert.deepEqual(warnings, []);
  });
});

test('discovering: a looked-for split two scans miss ends, and no longer holds the watermark back', async () => {
  await soughtSplit(async ({ watermarks, key, values, warnings, drive, scan, inner }) => {
    await drive(() => inner.sought.size === 1 && values.length >= 5);
    await scan();
    assert.ok(watermarks.describe().some((s) => s.id === key), 'one scan missed it: still looked for');
    await scan();
    assert.equal(inner.sought.size, 0);
    assert.ok(!watermarks.describe().some((s) => s.id === key), 'given up: no longer tracked');
    watermarks.onPeriodicEmit({ emitWatermark() {} });
    assert.equal(watermarks.low(), T0 + HOUR + 4 - 1, 'the live file\'s watermark');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /lost/);
  });
});
