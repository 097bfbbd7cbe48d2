// Regression: a pool whose worker died of an uncaught error started new threads after it was destroyed (piscina
// replaces a dead worker at its 'exit' event, which can come after destroy() returned): every failed run left
// threads that nothing ends in a long-lived process.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { endPool } from '../../../core/runtime/end-pool.js';

test('an ended pool starts no threads when a worker that died of an uncaught error exits after the end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'end-pool-'));
  const gate = join(dir, 'gate');
  execFileSync('mkfifo', [gate]);
  const pool = new Piscina({ filename: new URL('./pool-workers/dies-late.mjs', import.meta.url).href, minThreads: 2, maxThreads: 2, idleTimeout: Infinity, concurrentTasksPerWorker: 1, atomics: 'disabled' });
  const workers = pool.threads;
  assert.equal(workers.length, 2);
  let dead: Worker | undefined;
  for (const w of workers) w.once('error', () => { dead = w; });
  const dies = pool.run({ mode: 'die', gate });
  const waits = pool.run({ mode: 'wait', gate });
  await assert.rejects(dies, /thrown outside the task/);
  waits.catch(() => {});
  try {
    await endPool(pool);
    assert.ok(dead !== undefined, 'a worker died of its error');
    assert.notEqual(dead.threadId, -1, 'the dead worker exits only after the end (the case under test)');
    // Only now may the dead worker end: its 'exit' comes after the pool's end has returned, whatever the load.
    // Held open read-write (Linux opens a FIFO so without blocking) until the exit, so that a child not yet in
    // its open() still finds a writer.
    const writer = openSync(gate, constants.O_RDWR);
    try { await once(dead, 'exit'); } finally { closeSync(writer); }
    assert.equal(pool.threads.length, 0, 'threads started after the pool ended');
  } finally {
    // A failed assertion above must not leave the dead worker's child blocked in open() (the process would hang).
    if (dead !== undefined && dead.threadId !== -1) {
      const writer = openSync(gate, constants.O_RDWR);
      try { await once(dead, 'exit'); } finally { closeSync(writer); }
    }
    await pool.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
