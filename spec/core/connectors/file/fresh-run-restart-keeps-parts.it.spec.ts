// Regression: a fresh run in a state directory of an earlier run, restarted from the beginning after a failure,
// deleted every hidden part of its file sink, also the open part the earlier run's checkpoint names: a resume from
// that checkpoint (it is kept, and may be taken) then failed, its output lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';

function job(params: Record<string, string | number>): URL {
  const u = new URL('./jobs/files.ts', import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

test('a fresh run\'s restart keeps the hidden part an earlier run\'s checkpoint names; resuming that checkpoint publishes it', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-fresh-restart-'));
  try {
    const out = path.join(dir, 'out');
    const stateDir = path.join(dir, 'state');
    // Run A: its part stays open across checkpoints (the default rollIntervalMs); cancelled, it stays hidden.
    let completed = 0;
    let last = 0;
    let enough!: () => void;
    const reached = new Promise<void>((r) => { enough = r; });
    const a = await run(job({ case: 'sink-open', rate: 20_000, interval: 40, unbounded: 1, out }), {
      parallelism: 1, stateDir, onWarning: () => {}, onCheckpoint: (c) => { last = c.id; if (++completed === 4) enough(); },
    });
    await reached;
    await a.cancel();
    await a.result;
    const hiddenA = readdirSync(out).filter((f) => f.startsWith('.'));
    assert.equal(hiddenA.length, 1, hiddenA.join());
    // Run B: a fresh start over the same state directory that fails once before any checkpoint of its own.
    const warnings: string[] = [];
    const b = await run(job({ case: 'sink-fails', failAt: 50, marker: path.join(dir, 'failed'), interval: 60_000, n: 200, out }), {
      parallelism: 1, stateDir, restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 }, onWarning: (m) => warnings.push(m),
    });
    assert.equal((await b.result).restarts, 1, warnings.join('\n'));
    assert.ok(existsSync(path.join(out, hiddenA[0]!)), 'the restart kept the part checkpoint A names');
    // Resuming A's checkpoint publishes it (cut to the length the checkpoint recorded).
    const c = await run(job({ case: 'sink-open', rate: 20_000, interval: 40, n: 1000, out }), { parallelism: 1, stateDir, resume: { checkpoint: last }, onWarning: () => {} });
    await c.result;
    const final = path.join(out, hiddenA[0]!.slice(1, -'.inprogress'.length));
    assert.ok(statSync(final).size > 0, `${final} is published`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
