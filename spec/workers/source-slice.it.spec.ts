// A source whose chained operators are slow: a reader asked for the loop's whole budget (1024 records) ran them
// all in one step, in which no checkpoint barrier could go out, so a job checkpointing every 20 ms completed its
// first checkpoint only once its input had been read. Its reads are now sized to about 10 ms of work.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../core/index.js';
import { tally } from '../core/checkpoint/ledger.js';

test('a source behind a slow chained map (10 ms a record) still lets checkpoints through while it reads', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-slice-'));
  try {
    const n = 200;
    const ledger = join(dir, 'ledger');
    const handle = await run(new URL(`./jobs/slow-behind-source.ts?n=${n}&ms=10&ledger=${encodeURIComponent(ledger)}`, import.meta.url), {
      parallelism: 1, threads: 1, stateDir: join(dir, 'state'), checkpointIntervalMs: 20, onWarning: () => {},
    });
    await handle.result;
    // Per committed transaction of a checkpoint (not the end of input's), the records it carried.
    const perCheckpoint = readdirSync(ledger).filter((f) => /^\d+-\d+\.json$/.test(f))
      .map((f) => (JSON.parse(readFileSync(join(ledger, f), 'utf8')) as number[]).length).filter((k) => k > 0);
    const all = readdirSync(ledger).flatMap((f) => JSON.parse(readFileSync(join(ledger, f), 'utf8')) as number[]);
    assert.deepEqual(tally(all, n), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.ok(perCheckpoint.length >= 3, `checkpoints completed while the source read: ${perCheckpoint.length} carried records (${perCheckpoint.join(', ')})`);
    assert.ok(Math.max(...perCheckpoint) < n / 2, `no checkpoint waited for most of the input: ${perCheckpoint.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
