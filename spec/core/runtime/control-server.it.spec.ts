// The control socket of a running job (core/runtime/control-server.ts): closing it does not wait for clients that
// sent nothing; a server never removes a socket file another job has put in its place; and a job whose state
// directory was removed and made again refuses requests instead of taking savepoints into the old one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointRefusedError, NoCheckpointError, run, SavepointNameError } from '../../../core/index.js';
import { controlSocketPath, requestControl, serveControl } from '../../../core/runtime/control-server.js';
import { statusReport, statusText } from '../../../core/cli/status-command.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const job = new URL('../cli/jobs/ticking.ts', import.meta.url);

// Regression: one client connected without a request (a health check, `nc -U`) kept `sluice run` from
// exiting after its job ended: closing waited for every connection.
test('closing drops a connection that sent no request', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
  try {
    const h = endsWithTest(t, await run(job, { parallelism: 1, stateDir: join(dir, 'state') }));
    const server = await serveControl(h);
    const idle = net.connect(server.path);
    await new Promise<void>((resolve, reject) => { idle.once('connect', resolve); idle.once('error', reject); });
    const dropped = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    await h.cancel();
    await server.close();
    await dropped;
    assert.ok(!existsSync(server.path), 'the socket is gone');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a stopping job removed the control socket by path, also when a later job on a state
// directory made again at the same path had put its own there: the later job could no longer be reached. (Two
// jobs on one path need two processes, for LevelDB's lock: a plain server stands for the later job's here.)
test('a server never removes a socket file that another has put in its place', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
  const state = join(dir, 'state');
  const a = endsWithTest(t, await run(job, { parallelism: 1, stateDir: state }));
  const other = net.createServer((s) => s.end('other\n'));
  try {
    const server = await serveControl(a);
    // Gone under the running job (its socket with it), then made again, and another serves on it.
    rmSync(state, { recursive: true, force: true });
    mkdirSync(state);
    await new Promise<void>((resolve) => other.listen(server.path, resolve));
    await a.cancel();
    await server.close();
    assert.ok(existsSync(server.path), 'the other server\'s socket is still there');
    const answer = await new Promise<string>((resolve, reject) => {
      let got = '';
      net.connect(server.path).setEncoding('utf8').on('data', (d: string) => { got += d; }).once('end', () => resolve(got)).once('error', reject);
    });
    assert.equal(answer, 'other\n');
  } finally {
    await a.cancel();
    await new Promise((resolve) => other.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: with a long path (the socket then lives in the temp directory, outside the state
// directory), a job whose directory had been removed and made again still answered for it: its savepoint was
// reported completed and went into the removed directory, where no resume can find it.
test('a job whose state directory was removed and made again refuses requests, naming the reason', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
  const state = join(dir, 'a-state-directory-with-a-long-name'.repeat(3));
  const a = endsWithTest(t, await run(job, { parallelism: 1, stateDir: state }));
  try {
    const server = await serveControl(a);
    assert.ok(!server.path.startsWith(state), `a long path's socket is outside the directory: ${server.path}`);
    assert.equal(controlSocketPath(state), server.path);
    rmSync(state, { recursive: true, force: true });
    mkdirSync(state);
    await assert.rejects(requestControl(state, { op: 'savepoint', name: 'lost' }), (e: Error) => e.name === 'StateDirReplacedError' && /removed or replaced/.test(e.message));
    await assert.rejects(requestControl(state, { op: 'status' }), (e: Error) => e.name === 'StateDirReplacedError');
    // The error says to stop the job: a cancel is let through.
    const c = await requestControl(state, { op: 'cancel' });
    assert.ok('cancelled' in c && c.cancelled.pid === process.pid, JSON.stringify(c));
    assert.equal((await a.result).cancelled, true);
    await server.close();
  } finally {
    await a.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
});

// `sluice cancel`: the job is cancelled as by JobHandle.cancel, and the answer comes once it has ended (the state
// directory is free then).
test('a cancel request cancels the job and answers once it has ended', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
  const state = join(dir, 'state');
  const a = endsWithTest(t, await run(job, { parallelism: 1, stateDir: state, checkpointIntervalMs: 50 }));
  try {
    let told = 0;
    const server = await serveControl(a, undefined, { job: 'ticking', onCancel: () => { told++; } });
    let ended = false;
    void a.result.then(() => { ended = true; });
    const status = await requestControl(state, { op: 'status' });
    assert.ok('status' in status && status.status.job === 'ticking' && status.status.tasks.length === 2, JSON.stringify(status));
    const c = await requestControl(state, { op: 'cancel' });
    assert.ok(ended, 'the job had ended when the answer came');
    assert.ok('cancelled' in c, JSON.stringify(c));
    assert.equal(told, 1);
    const r = await a.result;
    assert.deepEqual([r.cancelled, r.stoppedWithSavepoint], [true, undefined]);
    assert.equal(c.cancelled.checkpoints.completed, r.checkpoints.completedTotal);
    await server.close();
    await assert.rejects(requestControl(state, { op: 'cancel' }), (e: Error) => e.name === 'NoJobRunningError');
  } finally {
    await a.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: requestControl turned the job's error into a plain Error with its name copied: `instanceof` failed on
// the asking side (control-errors.ts).
test("a request's failure is the job's error class on the asking side", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
  const state = join(dir, 'state');
  const a = endsWithTest(t, await run(job, { parallelism: 1, stateDir: state, checkpointIntervalMs: 50 }));
  try {
    await serveControl(a);
    await assert.rejects(requestControl(state, { op: 'savepoint', name: 'not a name' }), (e: unknown) => e instanceof SavepointNameError
      && e.message === 'savepoint: the name must be letters, digits, \'.\', \'_\' or \'-\', got "not a name"');
    await assert.rejects(requestControl(state, { op: 'delete-savepoint', name: 'nope' }), (e: unknown) => e instanceof NoCheckpointError
      && e.message === `no savepoint named 'nope' in ${state}`);
  } finally {
    await a.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: between two attempts (a failure, then the restart strategy's delay) `sluice status` said "running".
test('a status request between two attempts says the job is restarting: which restart, from where, when, and the failure', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-control-'));
  const state = join(dir, 'state');
  let failed!: () => void;
  const failure = new Promise<void>((resolve) => { failed = resolve; });
  // Fails at its 500,000th record; the delay keeps it between attempts until the cancel below.
  const a = endsWithTest(t, await run(new URL('./jobs/explode.ts', import.meta.url), {
    parallelism: 1, stateDir: state, restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 600_000 },
    onWarning: (m) => { if (m.startsWith('job failed')) failed(); },
  }));
  try {
    const server = await serveControl(a, undefined, { job: 'explode' });
    await failure;
    const r = await requestControl(state, { op: 'status' });
    assert.ok('status' in r, JSON.stringify(r));
    const s = r.status;
    assert.equal(s.restarts, 0, 'the restart has not run yet');
    assert.deepEqual([s.restarting?.restart, s.restarting?.from], [1, null]);
    assert.ok(s.restarting!.inMs > 500_000 && s.restarting!.inMs <= 600_000, JSON.stringify(s.restarting));
    assert.match(`${s.lastFailure?.name}: ${s.lastFailure?.message}`, /^OperatorError: operator 'explode' \(subtask 0\) failed: event 500000 is out of range\. To drop or dead-letter such records instead: \.onError\('drop' \| 'dead-letter'\) on 'explode'$/);
    const report = statusReport(s);
    assert.equal(report.state, 'restarting');
    const [first, second] = statusText(report).split('\n');
    assert.match(first!, /^explode: restarting after a failure \(restart 1 from the beginning, in (?:9m\d\ds|10m00s)\), up [\d.]+s, pid \d+, parallelism 1, no restarts so far$/);
    assert.match(second!, /^last failure [\d.]+s ago: OperatorError: operator 'explode' \(subtask 0\) failed: event 500000 is out of range\. To drop or dead-letter such records instead: \.onError\('drop' \| 'dead-letter'\) on 'explode'$/);
    assert.equal(a.restarting()?.restart, 1);
    // Regression: the refusal came back a plain Error (name 'Error'): its class and reason were lost on this side.
    await assert.rejects(requestControl(state, { op: 'checkpoint' }), (e: unknown) => e instanceof CheckpointRefusedError && e.reason === 'restarting'
      && e.message === 'the job is restarting (restart 1): try again once it runs');
    // A cancel ends the wait: no restart ran, and none is pending any more.
    const end = await a.cancel();
    assert.deepEqual([end.cancelled, end.restarts, a.restarting()], [true, 0, undefined]);
    await server.close();
  } finally {
    await a.cancel();
    rmSync(dir, { recursive: true, force: true });
  }
});
