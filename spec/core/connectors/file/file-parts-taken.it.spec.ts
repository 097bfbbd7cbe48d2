// A consumer takes the file sink's published parts away (moves them: the usual way to consume a rolling sink's
// directory) while the job runs. Regression: every later commit that named such a part again (the restored
// checkpoint's transactions, at the restore and at its next checkpoint; an ended subtask's end of input, carried
// into every checkpoint after it) found neither its pending nor its final file, and failed the job at every restart
// and resume. And the loss a first fix had (review r5): a process killed after the PUBLISHED mark and before the
// renames, a pending or in-progress file then lost, must fail the resume loudly, not read as taken. Or one of them
// damaged (a byte flipped): the resume fails naming it, it is never published.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, watch, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from '../../../../core/index.js';
import { tally } from '../../checkpoint/ledger.js';
import { generatorReach } from '../../checkpoint/generator-reach.js';

const JOB = new URL('./jobs/files.ts', import.meta.url);
const CHILD = fileURLToPath(new URL('../../checkpoint/fixtures/run-job.ts', import.meta.url));
const TAKEN = /was published and is gone/;

function job(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

const visible = (dir: string): string[] => readdirSync(dir).filter((f) => !f.startsWith('.'));

/**
 * A consumer of `out`: moves every published part to `taken` as the directory changes. `took(names)` resolves once
 * it has moved them all; `stop()` ends it after a last sweep.
 */
function consumer(out: string, taken: string) {
  const moved = new Set<string>();
  const waiters: { names: string[]; resolve: () => void }[] = [];
  const sweep = (): void => {
    for (const f of visible(out)) {
      try { renameSync(path.join(out, f), path.join(taken, f)); } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; }
      moved.add(f);
    }
    for (const w of waiters.splice(0)) { if (w.names.every((n) => moved.has(n))) w.resolve(); else waiters.push(w); }
  };
  const w = watch(out, sweep);
  sweep();
  return {
    moved,
    took: (names: string[]) => new Promise<void>((resolve) => { waiters.push({ names, resolve }); sweep(); }),
    stop: () => { w.close(); sweep(); },
  };
}

/** Resolves once `file` exists (a watch on its directory, and a look after arming it). */
function appears(file: string): Promise<void> {
  return new Promise((resolve) => {
    const look = (): void => { if (existsSync(file)) { w.close(); resolve(); } };
    const w = watch(path.dirname(file), look);
    look();
  });
}

/** Every (partition, seq) in the visible files of the directories, as seq * 4 + partition (-1: not such a record). */
function keys(...dirs: string[]): number[] {
  return dirs.flatMap((d) => visible(d).flatMap((f) => readFileSync(path.join(d, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => {
    const r = JSON.parse(l) as { p: number; s: number };
    return Number.isInteger(r.p) && r.p >= 0 && r.p < 4 ? r.s * 4 + r.p : -1;
  })));
}

/** The job in a child process (run-job.ts: `checkpoint <id>` lines, warnings on stderr), parallelism 2. */
function child(url: URL, stateDir: string, resume: boolean) {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, url.href, stateDir, '2', resume ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out = { lines: [] as string[], stderr: '' };
  let buf = '';
  const waiters: { pred: () => boolean; resolve: () => void }[] = [];
  const check = (): void => { for (const w of waiters.splice(0)) { if (w.pred()) w.resolve(); else waiters.push(w); } };
  proc.stderr!.on('data', (d: Buffer) => { out.stderr += d.toString(); check(); });
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { out.lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
    check();
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const checkpoints = (): number => out.lines.filter((l) => l.startsWith('checkpoint ')).length;
  return {
    proc, exit, out, checkpoints,
    waitFor: (pred: () => boolean) => new Promise<void>((resolve, reject) => {
      if (pred()) { resolve(); return; }
      waiters.push({ pred, resolve });
      void exit.then((code) => reject(new Error(`child exited (${code}) first; stdout: ${out.lines.join(' / ')}; stderr: ${out.stderr.slice(-2000)}`)));
    }),
  };
}

/** A test's directories, and its children: `clear()` kills those still running (a failed wait) and removes it all. */
function dirs() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-taken-'));
  const children: ReturnType<typeof child>[] = [];
  const d = {
    dir, out: path.join(dir, 'out'), taken: path.join(dir, 'taken'), state: path.join(dir, 'state'), gates: path.join(dir, 'gates'),
    child: (url: URL, resume: boolean) => { const c = child(url, d.state, resume); children.push(c); return c; },
    clear: async () => {
      for (const c of children) if (c.proc.exitCode === null && c.proc.signalCode === null) { c.proc.kill('SIGKILL'); await c.exit; }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  for (const x of [d.out, d.taken, d.gates]) mkdirSync(x);
  return d;
}

test('a consumer moves every published part while the job runs, its worker thread crashes (restart) and the process is SIGKILLed (resume): every (partition, seq) once, no failure', { timeout: 120_000 }, async () => {
  const d = dirs();
  const taker = consumer(d.out, d.taken);
  try {
    const gates = { crashGate: path.join(d.gates, 'crash'), marker: path.join(d.gates, 'crashed'), holdGate: path.join(d.gates, 'hold'), held: path.join(d.gates, 'held') };
    const params = { case: 'sink-taken', out: d.out, rate: 20_000, interval: 50 };
    const first = d.child(job({ ...params, unbounded: 1, ...gates, hold: 'after' }), false);
    await first.waitFor(() => first.checkpoints() >= 3 && taker.moved.size > 0);
    // A worker thread exits: the restart restores the newest checkpoint, whose parts the consumer (likely) took.
    writeFileSync(gates.crashGate, 'now');
    await first.waitFor(() => /restart 1/.test(first.out.stderr));
    const before = first.checkpoints();
    await first.waitFor(() => first.checkpoints() >= before + 3);
    // Then a commit that publishes closed parts hangs once done: the process is killed with them taken.
    writeFileSync(gates.holdGate, 'now');
    await appears(gates.held);
    const held = JSON.parse(readFileSync(gates.held, 'utf8')) as { checkpointId: number; finals: string[] };
    assert.ok(held.finals.length > 0);
    await taker.took(held.finals);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not ended');
    assert.doesNotMatch(first.out.stderr, /cannot commit/);
    // The resume restores the held checkpoint, publishing its transactions again: their parts are gone.
    const n = (await generatorReach(d.state)) + 8_000;
    const second = d.child(job({ ...params, n }), true);
    await second.waitFor(() => second.out.lines.some((l) => l.startsWith('done')));
    assert.equal(await second.exit, 0, second.out.stderr);
    assert.equal(second.out.lines.find((l) => l.startsWith('done')), `done ${held.checkpointId}`);
    const said = second.out.stderr.split('\n').filter((l) => TAKEN.test(l));
    assert.equal(said.length, 1, second.out.stderr);
    assert.ok(held.finals.some((f) => said[0]!.includes(f)), said[0]);
    taker.stop();
    assert.deepEqual(tally(keys(d.out, d.taken), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    taker.stop();
    await d.clear();
  }
});

for (const lose of ['pending', 'in-progress'] as const) test(`the process is SIGKILLed after the PUBLISHED mark and before the renames, then ${lose === 'pending' ? 'a pending' : 'an in-progress'} part file is lost: the resume fails loudly naming it, never exits 0 (review r5)`, { timeout: 120_000 }, async () => {
  const d = dirs();
  try {
    const gates = { holdGate: path.join(d.gates, 'hold'), held: path.join(d.gates, 'held') };
    const params = { case: 'sink-taken', out: d.out, rate: 20_000, interval: 50 };
    const first = d.child(job({ ...params, unbounded: 1, ...gates, hold: 'before' }), false);
    await first.waitFor(() => first.checkpoints() >= 3);
    writeFileSync(gates.holdGate, 'now');
    await appears(gates.held);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not ended');
    const held = JSON.parse(readFileSync(gates.held, 'utf8')) as { checkpointId: number; pending: string[]; open: string[] };
    // The review's shape: the mark says the held checkpoint's commit began, and none of its parts is published.
    assert.equal((JSON.parse(readFileSync(path.join(d.state, 'PUBLISHED'), 'utf8')) as { checkpointId: number }).checkpointId, held.checkpointId);
    let lost: string;
    if (lose === 'pending') {
      lost = held.pending[0]!;
    } else {
      // Still open, or closed since the barrier (pending under its name): whichever file holds it.
      const final = held.open[0]!;
      lost = [`.${final}.inprogress`, `.${final}.pending`].find((f) => existsSync(path.join(d.out, f)))!;
      assert.ok(lost !== undefined, `a hidden file of ${final}`);
    }
    unlinkSync(path.join(d.out, lost));
    const n = (await generatorReach(d.state)) + 2_000;
    const second = d.child(job({ ...params, n }), true);
    const code = await second.exit;
    assert.notEqual(code, 0, 'the resume must not end as if nothing was lost');
    assert.ok(!second.out.lines.some((l) => l.startsWith('done')), second.out.lines.join(' / '));
    const final = lost.slice(1).replace(/\.(inprogress|pending)$/, '');
    assert.match(second.out.stderr, new RegExp(`cannot commit [^\\n]*${final.replace(/\./g, '\\.')}[^\\n]*does not list it`));
    assert.doesNotMatch(second.out.stderr, TAKEN);
  } finally {
    await d.clear();
  }
});

// Regression (review today): a byte flipped in a restored part's hidden file was published by the resume, exit 0,
// a corrupt line in the output. The open part's bytes are checkpointed state: a damaged one fails the resume.
for (const damage of ['none', 'open', 'pending'] as const) test(damage === 'none'
  ? 'the process is SIGKILLed before a commit publishes closed and open parts, none damaged: the resume publishes them, every (partition, seq) once'
  : `the process is SIGKILLed before a commit publishes, then a byte of ${damage === 'open' ? 'the open part\'s hidden file' : 'a closed pending part'} is flipped: the resume fails naming it, nothing of it published`, { timeout: 120_000 }, async () => {
  const d = dirs();
  try {
    const gates = { holdGate: path.join(d.gates, 'hold'), held: path.join(d.gates, 'held') };
    const params = { case: 'sink-taken', out: d.out, rate: 20_000, interval: 50 };
    const first = d.child(job({ ...params, unbounded: 1, ...gates, hold: 'before' }), false);
    await first.waitFor(() => first.checkpoints() >= 3);
    writeFileSync(gates.holdGate, 'now');
    await appears(gates.held);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not ended');
    const held = JSON.parse(readFileSync(gates.held, 'utf8')) as { checkpointId: number; pending: string[]; open: string[]; openBytes: number[] };
    let final = '';
    if (damage !== 'none') {
      let file: string;
      let at: number;
      if (damage === 'pending') {
        file = held.pending[0]!;
        at = Math.floor(statSync(path.join(d.out, file)).size / 2);
      } else {
        // Still open, or closed since the barrier (pending under its name): whichever file holds it. Its middle, within
        // the checkpoint's length.
        const open = held.open[0]!;
        file = [`.${open}.inprogress`, `.${open}.pending`].find((f) => existsSync(path.join(d.out, f)))!;
        assert.ok(file !== undefined, `a hidden file of ${open}`);
        at = Math.floor(held.openBytes[0]! / 2);
      }
      final = file.slice(1).replace(/\.(inprogress|pending)$/, '');
      const bytes = readFileSync(path.join(d.out, file));
      bytes[at] = bytes[at]! ^ 0x01;
      writeFileSync(path.join(d.out, file), bytes);
    }
    const n = (await generatorReach(d.state)) + 2_000;
    const second = d.child(job({ ...params, n }), true);
    if (damage === 'none') {
      await second.waitFor(() => second.out.lines.some((l) => l.startsWith('done')));
      assert.equal(await second.exit, 0, second.out.stderr);
      assert.deepEqual(tally(keys(d.out), n), { lost: 0, duplicated: 0, unexpected: 0 });
      return;
    }
    const code = await second.exit;
    assert.notEqual(code, 0, 'the resume must not end as if nothing was damaged');
    assert.ok(!second.out.lines.some((l) => l.startsWith('done')), second.out.lines.join(' / '));
    assert.match(second.out.stderr, new RegExp(`cannot commit [^\\n]*${final.replace(/\./g, '\\.')}[^\\n]*are not the ones written before checkpoint \\d+`));
    assert.ok(!visible(d.out).includes(final), `${final} is not published`);
  } finally {
    await d.clear();
  }
});

// Regression: a restore wrote the record of the parts it published after its renames and their directory fsync (a
// commit stages it before them): a process killed in between left the restored checkpoint's parts published and
// unlisted, and a consumer that took them before the next resume made it fail for good ("does not list it").
test('the process is SIGKILLed once a restore\'s publish is durable, a consumer moves every published part: the next resume skips them, every (partition, seq) once', { timeout: 120_000 }, async () => {
  const d = dirs();
  try {
    const gates = { holdGate: path.join(d.gates, 'hold'), held: path.join(d.gates, 'held'), restoreHeld: path.join(d.gates, 'restored') };
    const params = { case: 'sink-taken', out: d.out, rate: 20_000, interval: 50 };
    // A commit with closed and open parts hangs before publishing any: the process is killed with them unpublished.
    const first = d.child(job({ ...params, unbounded: 1, holdGate: gates.holdGate, held: gates.held, hold: 'before' }), false);
    await first.waitFor(() => first.checkpoints() >= 3);
    writeFileSync(gates.holdGate, 'now');
    await appears(gates.held);
    first.proc.kill('SIGKILL');
    assert.equal(await first.exit, null, 'killed, not ended');
    const held = JSON.parse(readFileSync(gates.held, 'utf8')) as { checkpointId: number; finals: string[]; open: string[] };
    // The resume's restore publishes them (the open part cut) and is killed once that is durable.
    const second = d.child(job({ ...params, unbounded: 1, restoreHeld: gates.restoreHeld }), true);
    await appears(gates.restoreHeld);
    second.proc.kill('SIGKILL');
    assert.equal(await second.exit, null, 'killed, not ended');
    const restored = JSON.parse(readFileSync(gates.restoreHeld, 'utf8')) as { checkpointId: number; finals: string[]; open: string[] };
    assert.ok(restored.checkpointId >= held.checkpointId, `restored ${restored.checkpointId}, held ${held.checkpointId}`);
    const published = [...restored.finals, ...restored.open];
    assert.ok(held.finals.every((f) => restored.finals.includes(f)) && held.open.length > 0, JSON.stringify({ held, restored }));
    assert.deepEqual(published.filter((f) => !visible(d.out).includes(f)), [], 'the restore published its parts before it was killed');
    // A consumer moves every published part away before the next resume.
    const taker = consumer(d.out, d.taken);
    taker.stop();
    assert.deepEqual(visible(d.out), []);
    assert.ok(published.every((f) => taker.moved.has(f)));
    const n = (await generatorReach(d.state)) + 8_000;
    const third = d.child(job({ ...params, n }), true);
    await third.waitFor(() => third.out.lines.some((l) => l.startsWith('done')));
    assert.equal(await third.exit, 0, third.out.stderr);
    assert.equal(third.out.lines.find((l) => l.startsWith('done')), `done ${restored.checkpointId}`);
    assert.doesNotMatch(third.out.stderr, /cannot commit/);
    const said = third.out.stderr.split('\n').filter((l) => TAKEN.test(l));
    assert.equal(said.length, 1, third.out.stderr);
    assert.ok(published.some((f) => said[0]!.includes(f)), said[0]);
    assert.deepEqual(tally(keys(d.out, d.taken), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    await d.clear();
  }
});

test('a subtask ends long before the other, a consumer takes its parts: its end of input is published by one checkpoint, not again by the later ones', { timeout: 120_000 }, async () => {
  const d = dirs();
  const taker = consumer(d.out, d.taken);
  try {
    const log = path.join(d.gates, 'commits');
    const n = 2000;
    const warnings: string[] = [];
    const h = await run(job({ case: 'sink-ended', out: d.out, n, interval: 50, log }), {
      parallelism: 2, stateDir: d.state, restartStrategy: { type: 'none' }, onWarning: (m) => warnings.push(m),
    });
    // No failure: commits that name a taken part again (a checkpoint's transaction carried into the next one when its
    // completion reached the subtask after the next barrier) skip it, with a warning.
    const r = await h.result;
    assert.equal(r.restarts, 0, warnings.join(' | '));
    taker.stop();
    const lines = readFileSync(log, 'utf8').split('\n').filter((l) => l !== '');
    const ends = lines.filter((l) => l.startsWith('end '));
    const byId = new Map<string, number>();
    for (const l of ends) byId.set(l.split(' ')[2]!, (byId.get(l.split(' ')[2]!) ?? 0) + 1);
    assert.deepEqual([...byId.values()], [1, 1], `each subtask's end committed once: ${ends.join(' / ')}`);
    // Subtask 0 ended while subtask 1 still ran: checkpoints were committed after its end's, without it.
    const firstEnd = lines.indexOf(ends[0]!);
    assert.ok(lines.slice(firstEnd + 1).filter((l) => l.startsWith('commit ')).length >= 2, lines.join(' / '));
    const ids = [d.out, d.taken].flatMap((dir) => visible(dir).flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { i: number }).i)));
    assert.deepEqual(tally(ids, n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    taker.stop();
    await d.clear();
  }
});
