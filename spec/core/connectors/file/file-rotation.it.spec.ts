// A followed, discovering file source across log rotation by rename (`mv app.log app.log.1`, a new app.log), in
// whole jobs on real files: a followed file is the file (device and inode), not its path. The rotated file is read
// on where it was (not again from its start: every line twice), the new one from its start; a restart or a resume
// after a rotation finds the checkpointed file under its new name (it seeked to the checkpoint's byte offset in the
// new file: wrong or skipped lines); one renamed to a name the patterns do not match is read to its end and left.
// Each stage waits on the ledger (the job's committed output) or a warning, never on time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointRefusedError, run, type JobHandle } from '../../../../core/index.js';
import { ledgerCounter, readLedger, tally } from '../../checkpoint/ledger.js';
import { filesJob, numberedLines, runStages } from './files-job.js';


const job = filesJob;

const lines = numberedLines;

async function inDir(f: (input: string, dir: string) => Promise<void>): Promise<void> {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-rotation-')));
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    await f(input, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/** `mv app.log app.log.1`, lines the writer still appends to the rotated file, then a new app.log. */
function rotate(input: string, late: string, fresh: string): void {
  const at = (f: string): string => path.join(input, f);
  if (existsSync(at('app.log.1'))) renameSync(at('app.log.1'), at('app.log.2'));
  renameSync(at('app.log'), at('app.log.1'));
  appendFileSync(at('app.log.1'), late);
  writeFileSync(at('app.log'), fresh);
}

test('rotation by rename while the job runs (parallelism 2, twice): the rotated file is read on, the new one from its start; every line once', { timeout: 60_000 }, async (t) => {
  await inDir(async (input, dir) => {
    writeFileSync(path.join(input, 'app.log'), lines(0, 100));
    const ledger = path.join(dir, 'ledger');
    const { h, warnings } = await runStages(t, job({ case: 'eo', in: input, pattern: 'app.log*', follow: 1, discover: 20, ledger, interval: 10 }), ledger, [
      [100, () => rotate(input, lines(100, 150), lines(150, 250))],
      [250, () => rotate(input, lines(250, 260), lines(260, 300))],
      [300, () => {}],
    ], { parallelism: 2, stateDir: path.join(dir, 'state') });
    await h.cancel();
    assert.deepEqual(tally(readLedger<number>(ledger), 300), { lost: 0, duplicated: 0, unexpected: 0 }, warnings.join(' | '));
  });
});

test('rotation by rename between a checkpoint and a restart: the restart reads the checkpointed file on under its new name, and the new file from its start', { timeout: 60_000 }, async () => {
  await inDir(async (input, dir) => {
    writeFileSync(path.join(input, 'app.log'), lines(0, 100));
    const ledger = path.join(dir, 'ledger');
    const count = ledgerCounter(ledger);
    const marker = path.join(dir, 'marker');
    let restarted!: (m: string) => void;
    const restart = new Promise<string>((r) => { restarted = r; });
    const warnings: string[] = [];
    // Checkpoints only when the test takes them: the last one before the rotation is what the restart restores.
    const h = await run(job({ case: 'eo', in: input, pattern: 'app.log*', follow: 1, discover: 20, ledger, interval: 1e9, failAt: 200, marker }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
      onWarning: (m) => { warnings.push(m); if (m.includes('restart 1')) restarted(m); },
    });
    try {
      let last = -1;
      while (count() < 100) last = (await h.checkpoint()).id;
      rotate(input, lines(100, 150), lines(150, 250));
      const m = await restart;
      assert.ok(existsSync(marker), 'failed in the new file');
      assert.match(m, new RegExp(`from checkpoint ${last}\\b`), m);
      await checkpointUntil(h, () => count() >= 250);
    } finally {
      const result = await h.cancel();
      assert.equal(result.restarts, 1, warnings.join(' | '));
    }
    assert.deepEqual(tally(readLedger<number>(ledger), 250), { lost: 0, duplicated: 0, unexpected: 0 }, warnings.join(' | '));
  });
});

test('rotation by rename between a savepoint and a resume at another parallelism: the checkpointed file is read on under its new name, the new one from its start', { timeout: 90_000 }, async (t) => {
  await inDir(async (input, dir) => {
    writeFileSync(path.join(input, 'app.log'), lines(0, 100));
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    const url = job({ case: 'eo', in: input, pattern: 'app.log*', follow: 1, discover: 20, ledger, interval: 10 });
    const first = await runStages(t, url, ledger, [[100, () => {}]], { parallelism: 2, stateDir });
    await first.h.stopWithSavepoint('sp');
    await first.h.result;
    rotate(input, lines(100, 150), lines(150, 250));
    const second = await runStages(t, url, ledger, [[250, () => {}]], { parallelism: 3, stateDir, resume: { savepoint: 'sp' } });
    await second.h.cancel();
    assert.deepEqual(tally(readLedger<number>(ledger), 250), { lost: 0, duplicated: 0, unexpected: 0 }, [...first.warnings, ...second.warnings].join(' | '));
  });
});

test('rotated to a name the patterns do not match, while the job runs: read to its end and left, with a warning; the new file at the path is read from its start', { timeout: 60_000 }, async (t) => {
  await inDir(async (input, dir) => {
    writeFileSync(path.join(input, 'app.log'), lines(0, 100));
    const ledger = path.join(dir, 'ledger');
    const rotated = path.join(input, 'app.log.1');
    const bytes = Buffer.byteLength(lines(0, 100));
    const expected = `file source: ${path.join(input, 'app.log')} was renamed to a name the patterns do not match: read to its end (100 lines, ${bytes} bytes); its split ends`;
    // The file is let go two scans after the rename, which may be after the ledger holds all 200: wait for the warning.
    let left!: () => void;
    const leftWarned = new Promise<void>((r) => { left = r; });
    const { h, warnings } = await runStages(t, job({ case: 'eo', in: input, pattern: '*.log', follow: 1, discover: 20, ledger, interval: 10 }), ledger, [
      [100, () => { renameSync(path.join(input, 'app.log'), rotated); writeFileSync(path.join(input, 'app.log'), lines(100, 200)); }],
      [200, () => {}],
    ], { parallelism: 2, stateDir: path.join(dir, 'state'), onWarning: (m) => { if (m.includes(expected)) left(); } });
    await Promise.race([leftWarned, h.result]);
    await h.cancel();
    assert.deepEqual(tally(readLedger<number>(ledger), 200), { lost: 0, duplicated: 0, unexpected: 0 }, warnings.join(' | '));
    assert.ok(warnings.some((w) => w.includes(expected)), warnings.join(' | '));
  });
});

test('rotated to a name the patterns do not match, between a checkpoint and a restart: the restart says what is lost, never reads the new file at the old position', { timeout: 60_000 }, async () => {
  await inDir(async (input, dir) => {
    writeFileSync(path.join(input, 'app.log'), lines(0, 100));
    const ledger = path.join(dir, 'ledger');
    const count = ledgerCounter(ledger);
    const marker = path.join(dir, 'marker');
    let restarted!: () => void;
    const restart = new Promise<void>((r) => { restarted = r; });
    // Discovering, the split ends (with this warning) only once two scans after its opening missed its file too.
    let lost!: () => void;
    const lostWarned = new Promise<void>((r) => { lost = r; });
    const warnings: string[] = [];
    const h = await run(job({ case: 'eo', in: input, pattern: '*.log', follow: 1, discover: 20, ledger, interval: 1e9, failAt: 150, marker }), {
      parallelism: 1, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
      onWarning: (m) => { warnings.push(m); if (m.includes('restart 1')) restarted(); if (m.includes('holds another file than the checkpoint')) lost(); },
    });
    try {
      while (count() < 100) await h.checkpoint();
      renameSync(path.join(input, 'app.log'), path.join(input, 'app.log.1'));
      appendFileSync(path.join(input, 'app.log.1'), lines(1000, 1010));
      writeFileSync(path.join(input, 'app.log'), lines(100, 200));
      await restart;
      await checkpointUntil(h, () => readLedger<number>(ledger).filter((i) => i < 1000).length >= 200);
      await Promise.race([lostWarned, h.result]);
    } finally {
      const result = await h.cancel();
      assert.equal(result.restarts, 1, warnings.join(' | '));
    }
    // Lines 1000..1009 may have been read before the failure (the reader followed the rotated file), never after.
    const ids = readLedger<number>(ledger).filter((i) => i < 1000);
    assert.deepEqual(tally(ids, 200), { lost: 0, duplicated: 0, unexpected: 0 }, warnings.join(' | '));
    const bytes = Buffer.byteLength(lines(0, 100));
    assert.ok(warnings.some((w) => w.includes(`file source: ${path.join(input, 'app.log')} holds another file than the checkpoint this job restored, which reads it on from line 101 (byte ${bytes}), and no file the patterns match is that one (renamed away or deleted): its lines before that were read; whatever it held after that is lost. Its split ends`)), warnings.join(' | '));
  });
});

/** Takes checkpoints until `done` (asked again while the job is between attempts). */
async function checkpointUntil(h: JobHandle, done: () => boolean): Promise<void> {
  while (!done()) {
    try {
      await h.checkpoint();
    } catch (e) {
      if (!(e instanceof CheckpointRefusedError && e.reason === 'restarting')) throw e;
      await new Promise((r) => setImmediate(r));
    }
  }
}
