// `sluice run --resume` after a stop with a savepoint resumes from that savepoint: its line named only the
// checkpoint id ("resuming: from checkpoint 7"), so the user could not tell it took the savepoint rather than a
// periodic checkpoint; only --from-savepoint named it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sluice, SluiceProcess } from './sluice-process.js';

const ticking = path.join('spec', 'core', 'cli', 'jobs', 'ticking.ts');

test('--resume that takes a savepoint says which savepoint', { timeout: 150_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-resume-sp-'));
  try {
    const state = path.join(dir, 'state');
    const first = new SluiceProcess(['run', ticking, '--state-dir', state, '--checkpoint-interval', '200'], 120_000);
    await first.waitFor(/^running: /m);
    const stop = await sluice(['savepoint', state, 'v1', '--stop']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal((await first.exited).code, 0, first.stderr);
    const id = /completed: id (\d+)/.exec(stop.stdout + stop.stderr)?.[1];
    assert.ok(id !== undefined, `the savepoint's id: ${stop.stdout}${stop.stderr}`);

    const resumed = new SluiceProcess(['run', ticking, '--state-dir', state, '--checkpoint-interval', '200', '--resume'], 120_000);
    const [line] = await resumed.waitFor(/^resuming: .*$/m);
    assert.equal(line, `resuming: from checkpoint ${id} (savepoint 'v1')`);
    resumed.kill('SIGKILL');
    await resumed.exited;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
