// A cancel gives a sinks' commit that does not return up after stopGraceMs (drain). Its checkpointTimeoutMs warning
// timer was left running: the process stayed up until it fired, and then said "no checkpoint starts until it does"
// of a job already cancelled. Run in a child process, which must end on its own, with no warning after the result.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { endsWithTest } from '../../support/ends-with-test.js';

const CHILD = fileURLToPath(new URL('./fixtures/cancel-at-marker.ts', import.meta.url));

test("a sinks' commit given up by a cancel leaves no warning timer: nothing is said after the result, and the process ends", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-hung-commit-cancel-'));
  try {
    const marker = path.join(dir, 'committed');
    const url = new URL('./jobs/hang-in-commit.ts', import.meta.url);
    for (const [k, v] of Object.entries({ ledger: path.join(dir, 'ledger'), marker, hangAt: 2, count: 1_000_000 })) url.searchParams.set(k, String(v));
    // Long enough that the cancel comes first; short enough that, left running, the timer fires within the test.
    const proc = endsWithTest(t, spawn(process.execPath, ['--import', 'tsx', CHILD, url.href, marker, '8000'], { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    proc.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    assert.equal(code, 0, err);
    const lines = out.trim().split('\n');
    const end = lines.indexOf('ended cancelled=true');
    assert.ok(end >= 0, out);
    assert.ok(lines.slice(0, end).some((l) => /had not returned 100 ms after the job was cancelled \(stopGraceMs\)/.test(l)), out);
    assert.deepEqual(lines.slice(end + 1), [], 'nothing said after the result');
    assert.ok(!/checkpointTimeoutMs/.test(out), out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
