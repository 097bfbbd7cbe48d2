// Runs on: main thread (the test), with a real job on worker threads. A checkpoint chunk that cannot be written
// (a full disk) ends a job with no restart left as a CheckpointChunkWriteError that says where and what to do,
// and `sluice run` prints it without sluice's stack frames.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, CheckpointChunkWriteError } from '../../../core/index.js';
import { CheckpointStore, pad } from '../../../core/checkpoint/store.js';
import { formatFailure } from '../../../core/cli/status.js';

// Regression: the job's last failure said "so it restarts from its last completed checkpoint" with no restart
// left (a full disk in the trial of the CLI: restart strategy used up), as a plain Error whose stack frames, printed
// by `sluice run`, were the coordinator's; and nothing said the disk was full or what to do.
test('a full disk with no restart left fails the job naming the state directory and the fix, and no restart', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-chunk-write-error-'));
  const stateDir = path.join(dir, 'state');
  const put = CheckpointStore.prototype.putChunk;
  // A full disk cannot be made portably (a tmpfs needs root): the store's writes of checkpoint 3 fail as LevelDB's
  // do on one.
  CheckpointStore.prototype.putChunk = function (this: CheckpointStore, key: string, ...rest: [Uint8Array, never?]) {
    if (key.includes(`/${pad(3)}/`)) return Promise.reject(new Error(`IO error: ${this.dir}/000003.log: No space left on device`));
    return put.call(this, key, ...rest);
  } as typeof put;
  try {
    const h = await run(new URL('./jobs/keyed-counts.ts', import.meta.url), {
      parallelism: 2, stateDir, checkpointIntervalMs: 50, restartStrategy: { type: 'none' }, onWarning: () => undefined,
    });
    const e = await h.result.then(() => assert.fail('the job ran on'), (x: unknown) => x as Error);
    assert.ok(e instanceof CheckpointChunkWriteError, `${e.name}: ${e.message}`);
    assert.match(e.message, new RegExp(`could not be written to ${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(IO error: .*No space left on device\\)`));
    assert.match(e.message, /its disk is full: free space there, then resume from its last checkpoint/);
    assert.doesNotMatch(e.message, /restarts/);
    assert.ok(e.cause instanceof Error);
    const printed = formatFailure(e);
    assert.match(printed, /^sluice: job failed: CheckpointChunkWriteError: a checkpoint chunk could not be written/);
    assert.doesNotMatch(printed, /^\s+at /m);
  } finally {
    CheckpointStore.prototype.putChunk = put;
    rmSync(dir, { recursive: true, force: true });
  }
});
