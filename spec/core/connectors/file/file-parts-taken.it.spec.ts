// A consumer takes the file sink's published parts (moves them away: the usual way to consume a rolling sink) while
// the job runs, or between a cancel and a resume. Regression: every later commit that named such a part again (an
// ended subtask's end of input, carried into every checkpoint after it; the restored checkpoint's transactions, at
// the restore and at the next checkpoint) found neither its pending nor its final file and failed the job, and
// every restart and resume after it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';
import { tally } from '../../checkpoint/ledger.js';

const JOB = new URL('./jobs/files.ts', import.meta.url);

function job(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

const visible = (dir: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('.'));

/** Resolves with the visible files of `dir` once there is one (a watch, and a look after arming it). */
function published(dir: string): Promise<string[]> {
  return new Promise((resolve) => {
    const look = (): boolean => {
      const files = visible(dir);
      if (files.length === 0) return false;
      w.close();
      resolve(files);
      return true;
    };
    const w = watch(dir, () => { look(); });
    look();
  });
}

/** Every record `i` in the visible files of the directories. */
function records(...dirs: string[]): number[] {
  const out: number[] = [];
  for (const d of dirs) {
    for (const f of visible(d)) for (const l of readFileSync(path.join(d, f), 'utf8').split('\n')) if (l) out.push((JSON.parse(l) as { i: number }).i);
  }
  return out;
}

const TAKEN = /was published and is gone/;

test('a subtask ends, a consumer takes its part, the job runs on to its end: no commit names the part again', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-taken-'));
  try {
    const out = path.join(dir, 'out');
    const taken = path.join(dir, 'taken');
    const gate = path.join(dir, 'gate');
    mkdirSync(out);
    mkdirSync(taken);
    const n = 4000;
    const warnings: string[] = [];
    const h = await run(job({ case: 'sink-ended', out, n, gate, interval: 50 }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'none' }, onWarning: (m) => warnings.push(m),
    });
    // Subtask 1 is held (2 ms a record) until the gate: the first part published is subtask 0's, closed at its end.
    const files = await published(out);
    assert.ok(files.every((f) => f.startsWith('part-0-')), files.join());
    for (const f of files) renameSync(path.join(out, f), path.join(taken, f));
    writeFileSync(gate, 'taken');
    const r = await h.result;
    assert.equal(r.restarts, 0);
    assert.ok(existsSync(gate));
    // The end's parts were published by one checkpoint and left out of the later ones: none found them gone.
    assert.deepEqual(warnings.filter((w) => TAKEN.test(w)), []);
    assert.deepEqual(tally(records(out, taken), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a consumer takes the published parts of a cancelled run: the resume publishes the rest, says the taken once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-taken-'));
  try {
    const out = path.join(dir, 'out');
    const taken = path.join(dir, 'taken');
    const stateDir = path.join(dir, 'state');
    mkdirSync(taken);
    let completed = 0;
    let enough!: () => void;
    const reached = new Promise<void>((r) => { enough = r; });
    const a = await run(job({ case: 'sink', out, rate: 20_000, interval: 50, rollIntervalMs: 0, unbounded: 1 }), {
      parallelism: 2, stateDir, onWarning: () => {}, onCheckpoint: () => { if (++completed === 4) enough(); },
    });
    await reached;
    await a.cancel();
    await a.result;
    const moved = visible(out);
    assert.ok(moved.length > 0);
    for (const f of moved) renameSync(path.join(out, f), path.join(taken, f));
    const n = 60_000;
    const warnings: string[] = [];
    const b = await run(job({ case: 'sink', out, rate: 60_000, interval: 50, rollIntervalMs: 0, n }), {
      parallelism: 2, stateDir, resume: true, restartStrategy: { type: 'none' }, onWarning: (m) => warnings.push(m),
    });
    const r = await b.result;
    assert.equal(r.restarts, 0);
    // The restore published the restored checkpoint's transactions again, and the next checkpoint too: once said.
    const said = warnings.filter((w) => TAKEN.test(w));
    assert.equal(said.length, 1, warnings.join('\n'));
    assert.ok(moved.some((f) => said[0]!.includes(path.join(out, f))), said[0]);
    assert.deepEqual(tally(records(out, taken), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
