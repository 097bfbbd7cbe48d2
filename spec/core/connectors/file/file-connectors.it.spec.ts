// The file source and sink in whole jobs, on real files: glob input, JSON Lines to CSV part files and back;
// exactly-once reading across a failure, bounded and following files that grow between checkpoints (positions
// restored mid-file: no line skipped, none repeated); exactly-once part files across a SIGKILL of the process
// and a resume (two-phase commit: the resumed job publishes the restored parts and deletes the rest), with parts
// rolled at every checkpoint and with parts kept open across checkpoints (cut to the restored checkpoint's length),
// and across a stop with a savepoint and a resume; a followed source resumed with its pattern changed (a file no
// longer matched dropped, a file new to it warned about, not read).

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type JobHandle, type RunOptions } from '../../../../core/index.js';
import { ledgerCounter, readLedger, tally } from '../../checkpoint/ledger.js';
import { generatorReach } from '../../checkpoint/generator-reach.js';
import { committedRecordName } from '../../../../core/connectors/file/committed-parts.js';
import { endsWithTest } from '../../../support/ends-with-test.js';

const JOB = new URL('./jobs/files.ts', import.meta.url);
const CHILD = fileURLToPath(new URL('../../checkpoint/fixtures/run-job.ts', import.meta.url));

function job(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** Runs `url` until `n` checkpoints have completed (or it ended): the handle, for the test to stop. */
async function runForCheckpoints(url: URL, n: number, options: RunOptions): Promise<JobHandle> {
  let completed = 0;
  let enough!: () => void;
  const reached = new Promise<void>((r) => { enough = r; });
  const h = await run(url, { ...options, onCheckpoint: () => { if (++completed === n) enough(); } });
  await Promise.race([reached, h.result]);
  return h;
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sluice-files-'));
}

const lines = (ids: readonly number[]): string => ids.map((i) => `${JSON.stringify({ i })}\n`).join('');

test('JSON Lines files matched by a glob become CSV part files (header, rolling), which read back as the same rows', async () => {
  const dir = tmp();
  try {
    const input = path.join(dir, 'in');
    mkdirSync(path.join(input, 'nested'), { recursive: true });
    const rows = Array.from({ length: 3000 }, (_, i) => ({ id: i, name: i % 7 === 0 ? `n, "q" ${i}` : `n${i}` }));
    writeFileSync(path.join(input, 'a.jsonl'), rows.slice(0, 1000).map((r) => `${JSON.stringify(r)}\n`).join(''));
    writeFileSync(path.join(input, 'nested', 'b.jsonl'), rows.slice(1000).map((r) => `${JSON.stringify(r)}\r\n`).join(''));
    writeFileSync(path.join(input, 'ignored.txt'), 'not matched by the glob\n');
    const out = path.join(dir, 'out');
    await (await run(job({ case: 'to-csv', in: input, out }), { parallelism: 2 })).result;
    const parts = readdirSync(out);
    assert.ok(parts.length >= 4 && parts.every((f) => /^part-[01]-[0-9a-f]{8}-\d+\.csv$/.test(f)), `rolled part files, none hidden: ${parts.join(' ')}`);
    for (const f of parts) assert.ok(readFileSync(path.join(out, f), 'utf8').startsWith('id,name\n'), `${f} starts with the header`);
    const { collected } = await (await run(job({ case: 'from-csv', in: out }), { parallelism: 2 })).result;
    const back = (collected.out as { id: string; name: string }[]).map((r) => ({ id: Number(r.id), name: r.name })).sort((a, b) => a.id - b.id);
    assert.deepEqual(back, rows.map((r) => ({ id: r.id, name: r.name.toUpperCase() })));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

for (const crash of ['throw', 'exit'] as const) test(`bounded files, a failure mid-read (${crash === 'exit' ? 'its worker thread dies' : 'an operator throws'}): the job restarts from its checkpoint and every line reaches the output exactly once`, async () => {
  const dir = tmp();
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    const n = 12_000;
    for (let f = 0; f < 3; f++) writeFileSync(path.join(input, `${f}.jsonl`), lines(Array.from({ length: n / 3 }, (_, k) => f * (n / 3) + k)));
    const ledger = path.join(dir, 'ledger');
    const warnings: string[] = [];
    const h = await run(job({ case: 'eo', in: input, failAt: 6000, marker: path.join(dir, 'marker'), ledger, interval: 5, crash }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m),
    });
    const result = await h.result;
    assert.equal(result.restarts, 1, warnings.join(' | '));
    assert.deepEqual(tally(readLedger<number>(ledger), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('follow: lines appended between checkpoints (one split across two writes) are read as they come; a failure restores mid-file positions; exactly once', async (t) => {
  const dir = tmp();
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    const files = [0, 1, 2].map((f) => path.join(input, `${f}.jsonl`));
    const chunk = 3000;
    /** Chunk k: ids k*chunk .. (k+1)*chunk-1, id i in file i mod 3. */
    const ids = (k: number, f: number): number[] => Array.from({ length: chunk }, (_, j) => k * chunk + j).filter((i) => i % 3 === f);
    files.forEach((file, f) => writeFileSync(file, lines(ids(0, f))));
    const ledger = path.join(dir, 'ledger');
    const count = ledgerCounter(ledger);
    let stage = 0;
    let release!: () => void;
    const complete = new Promise<void>((r) => { release = r; });
    // Each stage starts once the ledger holds everything written so far: a checkpoint then covers it, so the
    // restore after the failure (in chunk 1) resumes from positions inside the files.
    const onCheckpoint = (): void => {
      const seen = count();
      if (stage === 0 && seen >= chunk) {
        stage = 1;
        files.forEach((file, f) => appendFileSync(file, lines(ids(1, f))));
      } else if (stage === 1 && seen >= 2 * chunk) {
        stage = 2;
        // The last line of file 0 arrives in two writes: the reader must hold the first half.
        files.forEach((file, f) => {
          const text = lines(ids(2, f));
          appendFileSync(file, f === 0 ? text.slice(0, -5) : text);
        });
      } else if (stage === 2 && seen >= 3 * chunk - 1) {
        stage = 3;
        appendFileSync(files[0]!, lines(ids(2, 0)).slice(-5));
      } else if (stage === 3 && seen >= 3 * chunk) {
        release();
      }
    };
    const warnings: string[] = [];
    const h = endsWithTest(t, await run(job({ case: 'eo', in: input, follow: 1, failAt: chunk + chunk / 2, marker: path.join(dir, 'marker'), ledger, interval: 10 }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m), onCheckpoint,
    }));
    await Promise.race([complete, h.result]);
    const result = await h.cancel();
    assert.equal(result.restarts, 1, warnings.join(' | '));
    assert.match(warnings.find((w) => w.includes('restart 1'))!, /from checkpoint \d+/, 'restored from a checkpoint, not from the beginning');
    assert.deepEqual(tally(readLedger<number>(ledger), 3 * chunk), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// A user trial: resumed with another pattern, a followed source read on the old file and never the new one, unwarned.
test('follow: resumed from a savepoint with the pattern changed, a file no longer matched is no longer read, a file new to the pattern is not read, and warnings name both', async (t) => {
  const dir = tmp();
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    const ids = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, j) => from + j);
    // a: 0..99 then 1000..1099 (dropped on the resume); b: 2000..2099 (new to the pattern); c: 100..299 (kept).
    writeFileSync(path.join(input, 'a.jsonl'), lines(ids(0, 100)));
    writeFileSync(path.join(input, 'b.jsonl'), lines(ids(2000, 2100)));
    writeFileSync(path.join(input, 'c.jsonl'), lines(ids(100, 200)));
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    const count = ledgerCounter(ledger);
    const until = async (pattern: string, n: number, options: RunOptions): Promise<{ h: JobHandle; warnings: string[] }> => {
      let enough!: () => void;
      const reached = new Promise<void>((r) => { enough = r; });
      const warnings: string[] = [];
      const h = endsWithTest(t, await run(job({ case: 'eo', in: input, follow: 1, ledger, interval: 10, pattern }), {
        parallelism: 1, stateDir, onWarning: (m) => warnings.push(m), onCheckpoint: () => { if (count() >= n) enough(); }, ...options,
      }));
      await Promise.race([reached, h.result]);
      return { h, warnings };
    };
    const first = await until('{a,c}.jsonl', 200, {});
    await first.h.stopWithSavepoint('sp');
    await first.h.result;
    appendFileSync(path.join(input, 'a.jsonl'), lines(ids(1000, 1100)));
    appendFileSync(path.join(input, 'c.jsonl'), lines(ids(200, 300)));
    const second = await until('{b,c}.jsonl', 300, { resume: { savepoint: 'sp' } });
    await second.h.cancel();
    assert.deepEqual(tally(readLedger<number>(ledger), 300), { lost: 0, duplicated: 0, unexpected: 0 }, 'c exactly once, nothing more of a, nothing of b');
    const notes = second.warnings.filter((w) => w.startsWith("source 'read', resumed from checkpoint"));
    assert.equal(notes.length, 2, second.warnings.join(' | '));
    const pattern = JSON.stringify(`${input}/{b,c}.jsonl`);
    assert.match(notes[0]!, /^source 'read', resumed from checkpoint \d+ \(savepoint 'sp'\): path /);
    assert.ok(notes[0]!.includes(`path ${pattern} matches '${input}/b.jsonl', not among the files the checkpoint reads: it is not read. The set of files is fixed when the job first starts`), notes[0]);
    assert.match(notes[0]!, /resume with allowNonRestoredState \/ --allow-non-restored-state and the source under another uid \(it then reads all its files from the start\), or start without resuming$/);
    assert.ok(notes[1]!.endsWith(`: file '${input}/a.jsonl' is no longer matched by the configured paths (${pattern}): not read any more, and its read position is dropped`), notes[1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a cancelled run left its writers' open parts behind as hidden in-progress files, for good. Parts
// rolled at every checkpoint (rollIntervalMs 0): an open part a checkpoint named is kept for a resume (the unit spec).
test('file sink: a cancelled run leaves no in-progress part behind', { timeout: 60_000 }, async () => {
  const dir = tmp();
  const out = path.join(dir, 'out');
  let completed = 0;
  let enough!: () => void;
  const five = new Promise<void>((r) => { enough = r; });
  const warnings: string[] = [];
  const h = await run(job({ case: 'sink', n: 1e9, rate: 20_000, out, interval: 15, rollIntervalMs: 0 }), {
    parallelism: 2, stateDir: path.join(dir, 'state'), onCheckpoint: () => { if (++completed === 5) enough(); }, onWarning: (w) => warnings.push(String(w)),
  });
  try {
    await Promise.race([five, h.result]);
    assert.equal(completed >= 5, true);
  } finally {
    await h.cancel();
  }
  const hidden = readdirSync(out).filter((f) => f.startsWith('.'));
  assert.deepEqual(hidden.filter((f) => f.endsWith('.inprogress')), [], hidden.join(', '));
  assert.deepEqual(warnings.filter((w) => /job cancelled/.test(w)), [], 'rollIntervalMs 0: nothing is left hidden, nothing to say');
  rmSync(dir, { recursive: true, force: true });
});

test('file sink: the process is SIGKILLed mid-run and resumed; the published part files hold every record exactly once, and no hidden part is left', async (t) => {
  const dir = tmp();
  try {
    const out = path.join(dir, 'out');
    const params = { case: 'sink', rate: 20_000, out, interval: 15 };
    const stateDir = path.join(dir, 'state');
    // The killed run's input is unbounded: it cannot end before the kill, however slow the machine (a loaded CI
    // machine's paced, bounded input ran out first, and the resumed run had nothing left to write).
    const first = child(t, job({ ...params, unbounded: 1 }), stateDir, false);
    // Kill once a checkpoint has published a part file (so output of the killed run is out) and more followed.
    await first.waitFor((l) => l.filter((x) => x.startsWith('checkpoint ')).length >= 3 && visibleParts(out).length > 0);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not ended');
    const tokensBefore = new Set(visibleParts(out).map(token));
    // The resumed run reads 10,000 records past what the checkpoint it restores covers.
    const n = (await generatorReach(stateDir)) + 10_000;
    const second = child(t, job({ ...params, n }), stateDir, true);
    await second.waitFor((l) => l.some((x) => x.startsWith('done')));
    assert.equal(await second.exit, 0);
    const files = outFiles(out);
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'recovery deleted the killed run\'s leftovers; the resumed run published all it wrote');
    assert.ok(readdirSync(out).some(isRecord), 'the sink\'s record of published parts is there, hidden');
    const ids = files.flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter((x) => x !== '').map((x) => (JSON.parse(x) as { i: number }).i));
    assert.deepEqual(tally(ids, n), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.ok([...tokensBefore].every((t) => files.some((f) => token(f) === t)), 'parts published before the kill are kept');
    assert.ok(new Set(files.map(token)).size > tokensBefore.size, 'the resumed run wrote parts of its own');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file sink, parts open across 50 ms checkpoints (default rollIntervalMs): SIGKILLed mid-run and resumed, every (partition, seq) is published exactly once, in far fewer parts than checkpoints', { timeout: 120_000 }, async (t) => {
  const dir = tmp();
  try {
    const out = path.join(dir, 'out');
    // Unbuffered: records written after the restored checkpoint are in the killed run's files, for the recovery to cut.
    const params = { case: 'sink-open', rate: 20_000, out, interval: 50, bufferBytes: 0 };
    const stateDir = path.join(dir, 'state');
    // Unbounded until the kill: a loaded CI machine's bounded input ran out before the 8th checkpoint.
    const first = child(t, job({ ...params, unbounded: 1 }), stateDir, false);
    await first.waitFor((l) => l.filter((x) => x.startsWith('checkpoint ')).length >= 8);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not ended');
    // Nothing rolled: every checkpoint so far kept the parts open, so nothing is published yet.
    assert.deepEqual(visibleParts(out), []);
    const open = new Map(readdirSync(out).filter((f) => f.endsWith('.inprogress')).map((f) => [f.slice(1, -'.inprogress'.length), statSync(path.join(out, f)).size]));
    assert.ok(open.size >= 1 && open.size <= 2, `one open part per subtask: ${[...open.keys()].join(' ')}`);
    // The resumed run reads 8,000 records past what the checkpoint it restores covers.
    const n = (await generatorReach(stateDir)) + 8_000;
    const second = child(t, job({ ...params, n }), stateDir, true);
    await second.waitFor((l) => l.some((x) => x.startsWith('done')));
    assert.equal(await second.exit, 0);
    assert.match(second.lines.find((x) => x.startsWith('done'))!, /^done \d+$/, 'resumed from a checkpoint');
    const files = outFiles(out);
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no hidden part left');
    let cut = 0;
    for (const [final, size] of open) {
      // The killed run's open parts, published by the recovery at the restored checkpoint's length.
      assert.ok(files.includes(final), `${final} published`);
      const published = statSync(path.join(out, final)).size;
      assert.ok(published <= size, `${final}: cut, never grown`);
      if (published < size) cut++;
    }
    // Records flow all the time: some were written after the restored checkpoint (else this run proves no cut).
    assert.ok(cut >= 1, 'the recovery cut an open part to the checkpoint\'s length');
    const keys = files.flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter((x) => x !== '').map((x) => {
      const r = JSON.parse(x) as { p: number; s: number };
      return r.p >= 0 && r.p < 4 && Number.isInteger(r.p) ? r.s * 4 + r.p : -1;
    }));
    assert.deepEqual(tally(keys, n), { lost: 0, duplicated: 0, unexpected: 0 });
    // At least 8 checkpoints (the kill waited for them) in at most 4 parts: a roll per checkpoint would have left
    // 2 per checkpoint. Not judged as a ratio to all checkpoints: a loaded machine takes fewer in the same run.
    const checkpoints = [...first.lines, ...second.lines].filter((x) => x.startsWith('checkpoint ')).length;
    assert.ok(files.length <= 4 && checkpoints >= 2 * files.length, `a part per subtask and run: ${files.length} parts for ${checkpoints} checkpoints: ${files.join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('file sink, parts open across checkpoints: a stop with a savepoint publishes what it holds (the savepoint rolls); a resume from it publishes every record exactly once', { timeout: 120_000 }, async (t) => {
  const dir = tmp();
  try {
    const out = path.join(dir, 'out');
    const stateDir = path.join(dir, 'state');
    const params = { case: 'sink-open', rate: 20_000, out, interval: 50 };
    // Unbounded until the savepoint: a loaded CI machine's bounded input ran out before it (nothing left to publish).
    const h = endsWithTest(t, await runForCheckpoints(job({ ...params, unbounded: 1 }), 5, { parallelism: 2, stateDir, onWarning: () => {} }));
    const sp = await h.stopWithSavepoint('sp');
    const stopped = await h.result;
    assert.equal(stopped.cancelled, true, 'stopped before the end of its input');
    // The resumed run reads 8,000 records past what the savepoint covers.
    const n = (await generatorReach(stateDir, sp.id)) + 8_000;
    const url = job({ ...params, n });
    const ids = (): number[] => visibleParts(out).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter((x) => x !== '').map((x) => {
      const r = JSON.parse(x) as { p: number; s: number };
      return r.s * 4 + r.p;
    }));
    const before = tally(ids(), n);
    assert.ok(before.lost < n && before.lost > 0, `the savepoint's records are published (nothing else rolled), not all: ${JSON.stringify(before)}`);
    assert.equal(before.duplicated + before.unexpected, 0);
    const resumed = await (await run(url, { parallelism: 2, stateDir, resume: { savepoint: 'sp' }, onWarning: () => {} })).result;
    assert.equal(resumed.cancelled, false);
    assert.deepEqual(tally(ids(), n), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.deepEqual(outFiles(out).filter((f) => f.startsWith('.')), [], 'no hidden part left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a checkpoint whose file sink transactions only recorded how far the open parts had got was marked as
// having published output, so a fresh run in the directory warned that it would publish those records again.
test('file sink, parts open across checkpoints: a cancel says what it leaves hidden; checkpoints that published nothing are not marked published (a fresh run after the cancel does not warn)', { timeout: 120_000 }, async () => {
  const dir = tmp();
  try {
    const out = path.join(dir, 'out');
    const stateDir = path.join(dir, 'state');
    // Unbounded: every run here is cancelled, and must still be running then.
    const url = job({ case: 'sink-open', unbounded: 1, rate: 20_000, out, interval: 50 });
    const cancelWarnings: string[] = [];
    const h = await runForCheckpoints(url, 5, { parallelism: 2, stateDir, onWarning: (w) => cancelWarnings.push(String(w)) });
    await h.cancel();
    assert.ok((await h.result).checkpoints.completed.length >= 5);
    assert.deepEqual(visibleParts(out), [], 'nothing rolled, nothing published');
    // Said, so that an empty output directory after a cancel is no mystery.
    assert.deepEqual(cancelWarnings.filter((w) => /job cancelled/.test(w)), [
      "job cancelled: sink 'parts' (file): what it wrote since its parts last rolled stays in hidden part files (up to rollIntervalMs of output): a resume from the last checkpoint publishes it; a stop with a savepoint publishes everything",
    ]);
    const warnings: string[] = [];
    const again = await run(url, { parallelism: 2, stateDir, onWarning: (w) => warnings.push(String(w)) });
    await again.cancel();
    await again.result;
    assert.deepEqual(warnings.filter((w) => /starts over/.test(w)), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a restore that published parts open at its checkpoint did not mark the output published (only a
// completed checkpoint's commit did), so a fresh run after it started over without a word.
test('file sink, parts open across checkpoints: a resume that publishes the open parts marks the output published (a fresh run then warns)', { timeout: 120_000 }, async () => {
  const dir = tmp();
  try {
    const out = path.join(dir, 'out');
    const stateDir = path.join(dir, 'state');
    // Unbounded: every run here is cancelled, and must still be running then.
    const url = job({ case: 'sink-open', unbounded: 1, rate: 20_000, out, interval: 50 });
    const first = await runForCheckpoints(url, 3, { parallelism: 2, stateDir, onWarning: () => {} });
    await first.cancel();
    await first.result;
    assert.deepEqual(visibleParts(out), [], 'nothing rolled, nothing published');
    // The resume's restore publishes the open parts; no checkpoint of its own completes before the cancel (only on
    // request: a long interval was no guarantee in a process older than it).
    const resumeWarnings: string[] = [];
    const second = await run(url, { parallelism: 2, stateDir, resume: true, checkpointIntervalMs: 0, onWarning: (w) => resumeWarnings.push(String(w)) });
    await second.cancel();
    assert.equal((await second.result).checkpoints.completedTotal, 0);
    assert.ok(visibleParts(out).length >= 1, 'the restore published the parts open at the checkpoint');
    assert.deepEqual(resumeWarnings.filter((w) => /job cancelled/.test(w)), [], 'nothing of this run is left hidden');
    const warnings: string[] = [];
    const fresh = await run(url, { parallelism: 2, stateDir, onWarning: (w) => warnings.push(String(w)) });
    await fresh.cancel();
    await fresh.result;
    assert.match(warnings.join('\n'), /holds sink output an earlier run published \(up to its checkpoint \d+\), and this run starts over without resuming/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The sink's record of the parts it published (committed-parts.ts, its name by prefix and suffix): hidden, and no part. */
const isRecord = (f: string): boolean => f === committedRecordName({ prefix: 'part', suffix: '.jsonl' }) || f === committedRecordName({ prefix: 'part', suffix: '.csv' });
/** The files of a sink's directory but its record. */
const outFiles = (dir: string): string[] => readdirSync(dir).filter((f) => !isRecord(f));
const visibleParts = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => !f.startsWith('.')) : []);
const token = (file: string): string => file.split('-')[2]!;

function child(t: TestContext, url: URL, stateDir: string, resume: boolean) {
  const proc = endsWithTest(t, spawn(process.execPath, ['--import', 'tsx', CHILD, url.href, stateDir, '2', resume ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines: string[] = [];
  let stderr = '';
  let buf = '';
  const waiters: { pred: (l: string[]) => boolean; resolve: () => void }[] = [];
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
    for (const w of waiters.splice(0)) { if (w.pred(lines)) w.resolve(); else waiters.push(w); }
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc, exit, lines,
    waitFor: (pred: (l: string[]) => boolean) => new Promise<void>((resolve, reject) => {
      if (pred(lines)) { resolve(); return; }
      waiters.push({ pred, resolve });
      void exit.then((code) => reject(new Error(`child exited (${code}) first; stdout: ${lines.join(' / ')}; stderr: ${stderr.slice(-2000)}`)));
    }),
  };
}

// Regression: sinks cleared what a failed attempt left only when it restored a checkpoint; a restart
// from the beginning (no checkpoint completed yet) left the attempt's hidden in-progress and pending parts.
test('file sink: a restart from the beginning removes the failed attempt\'s hidden parts; the output is exactly once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sink-restart-'));
  try {
    const out = path.join(dir, 'out');
    const u = new URL('./jobs/files.ts', import.meta.url);
    for (const [k, v] of Object.entries({ case: 'sink-fails', out, marker: path.join(dir, 'marker'), failAt: '2500' })) u.searchParams.set(k, v);
    const warnings: string[] = [];
    // Checkpoints only on request: none completes before the failure, however long it takes to come. (The job's
    // minute-long interval was no guarantee: on a loaded machine a checkpoint completed before record 2500.)
    const r = await (await run(u, { parallelism: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 0, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m) })).result;
    assert.equal(r.restarts, 1);
    assert.ok(warnings.some((w) => /restart 1 .* from the beginning/.test(w)), warnings.join(' | '));
    const files = outFiles(out);
    const ids = files.filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i));
    assert.deepEqual(tally(ids, 5000), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no hidden part left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Parts kept open across checkpoints and rolled at 100 records, between barriers as often as not: a part that a
// checkpoint named while open and that rolled before the failure holds that checkpoint's records, so the failing
// attempt's abort must leave it for the restore.
test('file sink, parts open across 10 ms checkpoints: an operator fails, the job restarts from its checkpoint; the output is exactly once', { timeout: 120_000 }, async (t) => {
  const dir = tmp();
  try {
    const out = path.join(dir, 'out');
    const stateDir = path.join(dir, 'state');
    const gate = path.join(dir, 'checkpointed');
    const params = { case: 'sink-fails', out, marker: path.join(dir, 'marker'), failAt: 3000, interval: 10, rate: 10_000 };
    // The failure waits for a completed checkpoint (the gate file), and the input is unbounded until a savepoint
    // stops the restarted job: a loaded CI machine's paced, bounded input reached record 3000 before any checkpoint
    // completed, and the job restarted from the beginning.
    const warnings: string[] = [];
    let restarted = false;
    let checkpointed!: () => void;
    const checkpointAfterRestart = new Promise<void>((r) => { checkpointed = r; });
    const h = endsWithTest(t, await run(job({ ...params, gate, unbounded: 1 }), {
      parallelism: 2, stateDir, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
      onWarning: (m) => { warnings.push(m); if (/restart 1 /.test(m)) restarted = true; },
      onCheckpoint: () => { if (!existsSync(gate)) writeFileSync(gate, ''); if (restarted) checkpointed(); },
    }));
    await Promise.race([checkpointAfterRestart, h.result]);
    const sp = await h.stopWithSavepoint('sp');
    const r = await h.result;
    assert.equal(r.restarts, 1, warnings.join(' | '));
    assert.ok(warnings.some((w) => /restart 1 .* from checkpoint \d+/.test(w)), warnings.join(' | '));
    // Resumed from the savepoint, the job reads 2,000 records past what it covers, to its end.
    const n = (await generatorReach(stateDir, sp.id)) + 2_000;
    await (await run(job({ ...params, n }), { parallelism: 2, stateDir, resume: { savepoint: 'sp' }, onWarning: () => {} })).result;
    const files = outFiles(out);
    const ids = files.filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i));
    assert.deepEqual(tally(ids, n), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.deepEqual(files.filter((f) => f.startsWith('.')), [], 'no hidden part left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a run killed before its first checkpoint left hidden parts that a new run which found no
// checkpoint (or ran without checkpoints) never removed: 745 of them beside correct output.
for (const how of ['a resume that finds no checkpoint', 'a run without checkpoints'] as const) {
  test(`file sink: ${how} removes the hidden parts an earlier run left; the output is exactly once`, async () => {
    const dir = tmp();
    try {
      const out = path.join(dir, 'out');
      mkdirSync(out, { recursive: true });
      const ext = how === 'a run without checkpoints' ? '.csv' : '.jsonl';
      const left = [`.part-0-1a2b3c-0${ext}.inprogress`, `.part-1-4d5e6f-3${ext}.pending`];
      for (const f of left) writeFileSync(path.join(out, f), 'what a killed run left\n');
      writeFileSync(path.join(out, `.other-0-1a2b3c-0${ext}.pending`), 'another prefix: not ours\n');
      if (how === 'a run without checkpoints') {
        const input = path.join(dir, 'in');
        mkdirSync(input);
        writeFileSync(path.join(input, 'a.jsonl'), Array.from({ length: 50 }, (_, i) => `${JSON.stringify({ id: i, name: `n${i}` })}\n`).join(''));
        await (await run(job({ case: 'to-csv', in: input, out }), { parallelism: 2 })).result;
        const rows = readdirSync(out).filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').slice(1).filter(Boolean));
        assert.equal(rows.length, 50);
      } else {
        const r = await (await run(job({ case: 'sink-fails', out, marker: path.join(dir, 'marker'), failAt: -1 }), { parallelism: 2, stateDir: path.join(dir, 'state'), resume: true })).result;
        assert.equal(r.restoredFrom, undefined);
        const ids = readdirSync(out).filter((f) => !f.startsWith('.')).flatMap((f) => readFileSync(path.join(out, f), 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i));
        assert.deepEqual(tally(ids, 5000), { lost: 0, duplicated: 0, unexpected: 0 });
      }
      assert.deepEqual(outFiles(out).filter((f) => f.startsWith('.')), [`.other-0-1a2b3c-0${ext}.pending`], 'only the other prefix\'s part is left');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
