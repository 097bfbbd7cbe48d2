// The final watermark's timers fire in slices, with checkpoints between them (Flink's interruptible timers): a
// checkpoint completes while they fire, a failure comes after it, and the restore fires each timer not yet fired
// at the checkpoint, once. Regression: the firing was one synchronous loop, so no checkpoint could complete until
// every timer had fired (a trial's last checkpoint took 39 s for 1.48 M timers).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';

// The later failure comes after groups were written in full again during the firing, their unchanged state's parts
// taken from the full chunks before (full-chunk-kept-tables.spec.ts): the state restored from them is exact too.
for (const [n, after] of [[4000, 2], [8000, 12]] as const) {
  test(`a checkpoint taken while the end-of-input timers fire, a failure after the ${after === 2 ? '2nd' : `${after}th`} one: every timer fires exactly once, with its key's state`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-end-timers-'));
    try {
      const warnings: string[] = [];
      let duringFiring = 0;
      const h = await run(new URL(`./jobs/end-timers.ts?${new URLSearchParams({ n: String(n), dir })}`, import.meta.url), {
        parallelism: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 20, onWarning: (w) => { warnings.push(String(w)); },
        restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 10 },
        // The `after`th checkpoint to complete once the firing has begun (the first may have been triggered before it)
        // lets the job fail.
        onCheckpoint: () => {
          if (existsSync(path.join(dir, 'firing')) && ++duringFiring === after) writeFileSync(path.join(dir, 'checkpointed'), 'a checkpoint completed during the firing');
        },
      });
      const r = await h.result;
      assert.ok(existsSync(path.join(dir, 'crashed')), 'a checkpoint completed while the timers fired, and the failure came after it');
      assert.equal(r.restarts, 1);
      assert.ok(warnings.some((w) => /restart 1 .* from checkpoint \d+/.test(w)), `restarted from a checkpoint: ${warnings.join('; ')}`);
      // Jepsen-style: the committed output, counted per key.
      const counts = new Map<string, number>();
      const wrongState: string[] = [];
      for (const rec of (r.collected.fired ?? []) as string[]) {
        const [k, state] = rec.split('=') as [string, string];
        counts.set(k, (counts.get(k) ?? 0) + 1);
        // The state the timers left alone, as processElement wrote it: restored exactly, whichever chunks held it.
        const i = Number(k.slice(1));
        if (state !== `${2 * i},${3 * i}`) wrongState.push(rec);
      }
      assert.deepEqual(wrongState.slice(0, 10), [], `${wrongState.length} timers read another state than their key's`);
      const lost = Array.from({ length: n }, (_, i) => `k${i}`).filter((k) => !counts.has(k));
      const twice = [...counts].filter(([, c]) => c > 1).map(([k]) => k);
      assert.deepEqual({ lost: lost.slice(0, 10), lostCount: lost.length, twice: twice.slice(0, 10), twiceCount: twice.length, keys: counts.size }, { lost: [], lostCount: 0, twice: [], twiceCount: 0, keys: n });
      // The restored checkpoint was taken during the firing: some timers had fired by then (the restore fired the rest).
      const refired = readFileSync(path.join(dir, 'refired'), 'utf8').split('\n').filter((l) => l !== '');
      assert.ok(refired.length > 0 && refired.length < n, `the restore fired ${refired.length} of the ${n} timers`);
      assert.equal(new Set(refired).size, refired.length, 'the restore fired each timer once');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regression: under backpressure (a slow consumer), a slice ends with the output full nearly every step, and the
// subtask took the coordinator's trigger only after a slice that left it unblocked: no checkpoint completed until
// the last timer had fired. The trigger is now taken blocked too (its barrier queues behind the backlog).
for (const checkpointMode of ['aligned', 'unaligned'] as const) {
  test(`end-of-input timers behind a slow consumer: ${checkpointMode} checkpoints complete while they fire`, { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-end-timers-bp-'));
    try {
      const n = 3000;
      const firedSoFar = (): number => readdirSync(dir).filter((f) => f.startsWith('fired-')).reduce((s, f) => s + Number(readFileSync(path.join(dir, f), 'utf8')), 0);
      const midFiring: number[] = [];
      const h = await run(new URL(`./jobs/end-timers-backpressure.ts?${new URLSearchParams({ n: String(n), dir, pad: '2000', waitMs: '0.5' })}`, import.meta.url), {
        parallelism: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 20, checkpointMode, ringBytes: 4096,
        // How far the firing was when each checkpoint completed (a file being rewritten may read as 0: fewer, never more).
        onCheckpoint: () => { midFiring.push(firedSoFar()); },
      });
      const r = await h.result;
      assert.equal((r.collected.fired ?? []).length, n, 'every timer fired once and reached the sink');
      // Before the fix: one checkpoint as the firing began, the next only at its end (~1.3 s later), none between.
      const between = midFiring.filter((f) => f >= n / 4 && f <= (3 * n) / 4);
      assert.ok(between.length >= 2, `checkpoints completed while the middle half of the timers fired (fired counts at completion: ${midFiring.join(', ')})`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
