// A followed file source that discovers files (discoverIntervalMs) in whole jobs, on real files and threads: files
// created while the job runs are read exactly once (parallelism 1 from an empty directory, and 2); a failure after
// a file was discovered and before any checkpoint held it restarts without it, and the file is read again from its
// start, exactly once; a savepoint at parallelism 2 resumed at 3 with files added meanwhile reads every line
// exactly once. Each stage waits on the ledger (the job's committed output), never on time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointRefusedError, run } from '../../../../core/index.js';
import { ledgerCounter, readLedger, tally } from '../../checkpoint/ledger.js';
import { filesJob, numberedLines, runStages } from './files-job.js';


const job = filesJob;

const lines = numberedLines;


for (const parallelism of [1, 2]) test(`discovering (parallelism ${parallelism}): files created while the job runs, and lines appended to them, are read exactly once${parallelism === 1 ? ', from an empty directory' : ''}`, { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-discover-'));
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    const at = (f: string): string => path.join(input, f);
    // Ids 0..99 in files there at the start (parallelism 2 only: dealt by owner, or their owners read them twice),
    // 100..499 and 500..899 in files created in two rounds, 900..999 appended to the first round's.
    if (parallelism === 2) for (let f = 0; f < 4; f++) writeFileSync(at(`a${f}.jsonl`), lines(25 * f, 25 * f + 25));
    const from = parallelism === 2 ? 0 : 100;
    const ledger = path.join(dir, 'ledger');
    const { h, warnings } = await runStages(t, job({ case: 'eo', in: input, follow: 1, discover: 20, ledger, interval: 10 }), ledger, [
      [100 - from, () => { for (let f = 0; f < 4; f++) writeFileSync(at(`b${f}.jsonl`), lines(100 + 100 * f, 200 + 100 * f)); }],
      [500 - from, () => {
        for (let f = 0; f < 4; f++) writeFileSync(at(`c${f}.jsonl`), lines(500 + 100 * f, 600 + 100 * f));
        for (let f = 0; f < 4; f++) appendFileSync(at(`b${f}.jsonl`), lines(900 + 25 * f, 925 + 25 * f));
      }],
      [1000 - from, () => {}],
    ], { parallelism, stateDir: path.join(dir, 'state') });
    await h.cancel();
    const ids = readLedger<number>(ledger);
    assert.deepEqual(tally(ids.map((i) => i - from), 1000 - from), { lost: 0, duplicated: 0, unexpected: 0 }, warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('discovering: a failure after a file was discovered and before a checkpoint held it restarts from the checkpoint without it; the file is discovered again and read exactly once', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-discover-'));
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    writeFileSync(path.join(input, 'a.jsonl'), lines(0, 100));
    writeFileSync(path.join(input, 'b.jsonl'), lines(100, 200));
    const ledger = path.join(dir, 'ledger');
    const count = ledgerCounter(ledger);
    const marker = path.join(dir, 'marker');
    let restarted!: (m: string) => void;
    const restart = new Promise<string>((r) => { restarted = r; });
    const warnings: string[] = [];
    // Checkpoints only when the test takes them: none can hold the new file before the failure.
    const h = await run(job({ case: 'eo', in: input, follow: 1, discover: 20, ledger, interval: 1e9, failAt: 250, marker }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
      onWarning: (m) => { warnings.push(m); if (m.includes('restart 1')) restarted(m); },
    });
    try {
      let last = -1;
      while (count() < 200) last = (await h.checkpoint()).id;
      // The failure comes at the new file's 51st line, once it is read; the restart goes back to checkpoint `last`.
      writeFileSync(path.join(input, 'c.jsonl'), lines(200, 300));
      const m = await restart;
      assert.ok(existsSync(marker), 'failed at the new file');
      assert.match(m, new RegExp(`from checkpoint ${last}\\b`), m);
      // Between attempts a checkpoint request is refused as such: asked again once the event loop turns.
      const checkpoint = async (): Promise<void> => {
        for (;;) {
          try {
            await h.checkpoint();
            return;
          } catch (e) {
            if (!(e instanceof CheckpointRefusedError && e.reason === 'restarting')) throw e;
            await new Promise((r) => setImmediate(r));
          }
        }
      };
      while (count() < 300) await checkpoint();
    } finally {
      const result = await h.cancel();
      assert.equal(result.restarts, 1, warnings.join(' | '));
    }
    assert.deepEqual(tally(readLedger<number>(ledger), 300), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('discovering: a savepoint at parallelism 2 resumed at 3, with files added and lines appended meanwhile, reads every line exactly once', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-discover-'));
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    const at = (f: string): string => path.join(input, f);
    writeFileSync(at('a.jsonl'), lines(0, 100));
    writeFileSync(at('b.jsonl'), lines(100, 200));
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    const url = job({ case: 'eo', in: input, follow: 1, discover: 20, ledger, interval: 10 });
    const first = await runStages(t, url, ledger, [[200, () => writeFileSync(at('c.jsonl'), lines(200, 300))], [300, () => {}]], { parallelism: 2, stateDir });
    await first.h.stopWithSavepoint('sp');
    await first.h.result;
    for (let f = 0; f < 5; f++) writeFileSync(at(`d${f}.jsonl`), lines(300 + 40 * f, 340 + 40 * f));
    appendFileSync(at('a.jsonl'), lines(500, 550));
    appendFileSync(at('c.jsonl'), lines(550, 600));
    const second = await runStages(t, url, ledger, [
      [600, () => writeFileSync(at('e.jsonl'), lines(600, 700))],
      [700, () => {}],
    ], { parallelism: 3, stateDir, resume: { savepoint: 'sp' } });
    await second.h.cancel();
    assert.deepEqual(second.warnings.filter((w) => w.includes('not among the files the checkpoint reads')), [], 'new files are read, not warned about');
    assert.deepEqual(tally(readLedger<number>(ledger), 700), { lost: 0, duplicated: 0, unexpected: 0 }, [...first.warnings, ...second.warnings].join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
