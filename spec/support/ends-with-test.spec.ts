// endsWithTest: what a test started (a job, a child process, a run() not yet returned) ends with the test, whether it
// failed, passed or timed out, and the test's own failure is the one reported. Each case runs in a child process
// (fixtures/ends-with-test-cases.ts), which must then exit by itself: left running, the job or child kept it alive.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { endsWithTest } from './ends-with-test.js';

const CASES = fileURLToPath(new URL('./fixtures/ends-with-test-cases.ts', import.meta.url));

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

/** Runs one case to its end: its exit code, what its test reported, and what it wrote about what it started. */
async function runCase(t: TestContext, what: string, how: string): Promise<{ code: number | null; report: string; said: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ends-with-test-'));
  try {
    const out = path.join(dir, 'out');
    const child = endsWithTest(t, spawn(process.execPath, ['--import', 'tsx', '--test-reporter=tap', CASES, what, how, out], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let report = '';
    child.stdout.on('data', (d: Buffer) => { report += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { report += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    let said: string[] = [];
    try { said = readFileSync(out, 'utf8').trim().split('\n'); } catch { /* nothing written */ }
    return { code, report, said };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a test that fails with its job running: the job is cancelled, the process ends, and the failure reported is the test\'s', { timeout: 90_000 }, async (t) => {
  const r = await runCase(t, 'job', 'fail');
  assert.equal(r.code, 1, r.report);
  assert.match(r.report, /failed on purpose/);
  assert.deepEqual(r.said, ['job cancelled=true'], r.report);
});

test('a test that passes with its job running: the job is cancelled and the test still passes', { timeout: 90_000 }, async (t) => {
  const r = await runCase(t, 'job', 'pass');
  assert.equal(r.code, 0, r.report);
  assert.deepEqual(r.said, ['job cancelled=true'], r.report);
});

test('a test that times out with its job running: the job is cancelled, and the timeout is the failure reported', { timeout: 90_000 }, async (t) => {
  const r = await runCase(t, 'job', 'timeout');
  assert.equal(r.code, 1, r.report);
  assert.match(r.report, /test timed out after 1000ms/);
  assert.deepEqual(r.said, ['job cancelled=true'], r.report);
});

test('a test that fails with its child process running: the child is killed, and the failure reported is the test\'s', { timeout: 90_000 }, async (t) => {
  const r = await runCase(t, 'child', 'fail');
  assert.equal(r.code, 1, r.report);
  assert.match(r.report, /failed on purpose/);
  const [started, exited] = r.said;
  assert.match(started ?? '', /^child \d+$/, r.report);
  assert.equal(exited, 'child exited SIGKILL', r.report);
  assert.equal(alive(Number(started!.split(' ')[1])), false);
});

test('a test that fails while its run() has not returned: the run is aborted, and the failure reported is the test\'s', { timeout: 90_000 }, async (t) => {
  const r = await runCase(t, 'abort', 'fail');
  assert.equal(r.code, 1, r.report);
  assert.match(r.report, /failed on purpose/);
  assert.deepEqual(r.said, ['run rejected: the test ended'], r.report);
});
