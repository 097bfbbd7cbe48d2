// Sinks end to end: the collect sink's exactly-once output when a sink subtask ends twice (once before a failure,
// once after the restore that deals it more input).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { tally } from '../checkpoint/ledger.js';

// Regression: every end-of-input transaction was (subtask, checkpoint -1), so the second end of a
// subtask looked already published to the collect sink (and the test ledger), and its records were lost.
test('collect: a sink subtask that ends, is restored with more input and ends again publishes both ends, exactly once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ends-twice-'));
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    // a.jsonl (subtask 0): 5 records, ids from 20,000; b.jsonl (subtask 1): 20,000 records.
    const n = 20_000;
    writeFileSync(path.join(input, 'a.jsonl'), Array.from({ length: 5 }, (_, i) => `{"i":${n + i}}\n`).join(''));
    writeFileSync(path.join(input, 'b.jsonl'), Array.from({ length: n }, (_, i) => `{"i":${i}}\n`).join(''));
    const u = new URL('./jobs/ends-twice.ts', import.meta.url);
    u.searchParams.set('in', input);
    u.searchParams.set('marker', path.join(dir, 'marker'));
    u.searchParams.set('failAt', String(15_000));
    const warnings: string[] = [];
    const h = await run(u, { parallelism: 2, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 }, onWarning: (m) => warnings.push(m) });
    const { collected, restarts } = await h.result;
    assert.equal(restarts, 1, warnings.join(' | '));
    assert.deepEqual(tally(collected.out as number[], n + 5), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
