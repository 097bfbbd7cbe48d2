// A process killed while its sinks publish a checkpoint, whose manifest LevelDB then loses (a damaged log drops
// its newest records): the PUBLISHED mark must already name that checkpoint, so the resume refuses rather than go
// back to the one before and publish the same records again. The mark used to be written after the commit.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { readLedger, tally } from './ledger.js';
import { hangInCommitJob } from './hang-in-commit-job.js';
import { fileAppears } from '../../support/file-appears.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const CHILD = fileURLToPath(new URL('./fixtures/run-job.ts', import.meta.url));

function runJob(t: TestContext, url: URL, stateDir: string, resume: boolean): { kill(): void; exit: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> } {
  const proc = endsWithTest(t, spawn(process.execPath, ['--import', 'tsx', CHILD, url.href, stateDir, '1', resume ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  proc.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  return {
    kill: () => proc.kill('SIGKILL'),
    exit: new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }))),
  };
}

test('SIGKILL while sinks publish checkpoint n, then manifest n lost: the resume refuses, nothing is published twice', { timeout: 90_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-pubmark-'));
  try {
    const count = 20_000;
    const { url, stateDir, ledger, marker } = hangInCommitJob(dir, 3, count);

    const first = runJob(t, url, stateDir, false);
    await fileAppears(marker, first.exit.then((e) => { throw new Error(`the job ended (${e.code}) before its commit hung: ${e.stdout} ${e.stderr}`); }));
    first.kill();
    assert.equal((await first.exit).signal, 'SIGKILL');
    const published = readLedger<number>(ledger);
    assert.ok(published.length > 0, 'checkpoints up to the hung one published before the kill');

    // LevelDB loses its newest records: the manifests from the one being published on.
    const hung = Number(readFileSync(marker, 'utf8'));
    const store = await CheckpointStore.open(stateDir);
    const ids = await store.manifestIds();
    assert.ok(ids.includes(hung) && ids.includes(hung - 1), `checkpoints ${hung - 1} and ${hung} in the store: ${ids.join(', ')}`);
    await store.deleteManifests(ids.filter((id) => id >= hung));
    await store.close();

    const resumed = await runJob(t, url, stateDir, true).exit;
    assert.notEqual(resumed.code, 0, `the resume went back behind published output; stdout: ${resumed.stdout}`);
    assert.match(resumed.stderr, new RegExp(`output up to checkpoint ${hung} was already published`));
    assert.deepEqual(tally(readLedger<number>(ledger), count), { lost: count - published.length, duplicated: 0, unexpected: 0 }, 'nothing published twice');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
