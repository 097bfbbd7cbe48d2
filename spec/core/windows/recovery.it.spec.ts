// Window and join state through a failure: a job checkpoints, fails once mid-stream, restarts from its last
// checkpoint (window slots, trigger timers, interval-join buffers and source positions restored) and its
// transactional output equals a failure-free oracle exactly: nothing lost, nothing twice.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { decodeKeyGroup } from '../../../core/state/key-group-codec.js';
import { allEvents, type EventParams } from './jobs/events.js';
import { canon, intervalJoin, windowCoGroup, windowsOf } from './oracle.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

/** The values of the event-time timer entries of operator `uid` in the store's checkpoints: a key's times, as held. */
async function timerValues(stateDir: string, uid: string): Promise<unknown[]> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const values: unknown[] = [];
    for (const id of await store.manifestIds()) {
      const m = await store.readManifest(id);
      for (const [opUid, op] of Object.entries(m.operators)) {
        if (opUid !== uid) continue;
        for (const g of Object.values(op.keyGroups ?? {})) {
          for (const ref of g.chain) {
            for (const t of decodeKeyGroup(await store.getChunk(m.id, ref)).tables) {
              if (t.name !== '__timers/event') continue;
              for (let i = 0; i < t.puts.length; i += t.ttl ? 3 : 2) values.push(t.puts[i + 1]);
            }
          }
        }
      }
    }
    return values;
  } finally {
    await store.close();
  }
}

// Both ways of keyed state's fast paths (one timer per key held as a number; stateFastPaths: false keeps arrays).
// The failure throws with the fast paths on and kills its worker thread with them off (one run each way keeps
// the suite short; neither part depends on the other).
for (const stateFastPaths of [true, false]) test(`windows and joins restore from a checkpoint after ${stateFastPaths ? 'an operator throws' : 'a worker thread dies'}: output exactly once (stateFastPaths ${stateFastPaths})`, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-win-rec-'));
  try {
    const a: EventParams = { seed: 21, n: 6000, keys: 4, step: 1, bound: 10, burstMs: 120 };
    const b: EventParams = { seed: 22, n: 750, keys: 4, step: 8, bound: 10, burstMs: 120 };
    const size = 50;
    const gap = 15;
    const marker = path.join(dir, 'failed');
    // Regression: with a slow start the failure came before the first checkpoint completed, and the job restarted
    // from the beginning; the job now fails only after the test has seen a checkpoint complete.
    const checkpointed = path.join(dir, 'checkpointed');
    const q = new URLSearchParams({ rate: '10000', interval: '20', failAt: '4000', marker, checkpointed, size: String(size), gap: String(gap), lo: '-5', hi: '8', crash: stateFastPaths ? 'throw' : 'exit' });
    for (const [k, v] of Object.entries(a)) q.set(k, String(v));
    for (const [k, v] of Object.entries(b)) q.set(`b.${k}`, String(v));
    const warnings: string[] = [];
    const h = await run(new URL(`./jobs/recovery.ts?${q}`, import.meta.url), {
      parallelism: 2, stateDir: path.join(dir, 'state'), ringBytes: 64 * 1024, stateFastPaths, onWarning: (w) => { warnings.push(String(w)); },
      restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 10 },
      onCheckpoint: () => { if (!existsSync(checkpointed)) writeFileSync(checkpointed, 'a checkpoint completed'); },
    });
    const r = await h.result;
    assert.ok(existsSync(marker), 'the failure was injected');
    assert.equal(r.restarts, 1, 'one restart');
    assert.ok(warnings.some((w) => /restart 1 .* from checkpoint \d+/.test(w)), `restarted from a checkpoint, not from the beginning: ${warnings.join('; ')}`);
    const ea = allEvents(a);
    const eb = allEvents(b);
    const tumbling = windowsOf('tumbling', { size, slide: size, gap }, ea).map((w) => [w.key, w.start, w.end, w.events.reduce((s, e) => s + e.v, 0)]);
    assert.deepEqual(canon(r.collected['tumbling.out']), canon(tumbling), 'tumbling aggregate');
    assert.deepEqual(canon(r.collected['combined.out']), canon(tumbling), 'tumbling aggregate, two-phase (combineLocally)');
    const sessions = windowsOf('session', { size, slide: size, gap }, ea).map((w) => [w.key, w.start, w.end, w.events.map((e) => e.id).sort((x, y) => x - y)]);
    assert.deepEqual(canon(r.collected['session.out']), canon(sessions), 'session process');
    const sliding = windowsOf('sliding', { size, slide: size >> 2, gap }, ea).map((w) => ({
      id: Math.min(...w.events.map((e) => e.id)), key: w.key, v: w.events.reduce((s, e) => s + e.v, 0), ts: Math.max(...w.events.map((e) => e.ts)),
    }));
    assert.deepEqual(canon(r.collected['sliding.out']), canon(sliding), 'sliding reduce');
    assert.deepEqual(canon(r.collected['interval.out']), canon(intervalJoin(-5, 8, ea, eb).map(([x, y]) => [x, y])), 'interval join');
    assert.deepEqual(canon(r.collected['coGroup.out']), canon(windowCoGroup('session', { size, slide: size, gap }, ea, eb)), 'session coGroup');
    assert.deepEqual(canon(r.collected['one-timer.out']), canon(['k0', 'k1', 'k2', 'k3']), 'each key\'s one timer fires once');
    // The switch took effect: the checkpoints hold a key's one timer as a bare number only on the fast path.
    const timers = await timerValues(path.join(dir, 'state'), 'one-timer');
    assert.ok(timers.length > 0, 'the checkpoints hold timers');
    assert.deepEqual(new Set(timers.map((v) => JSON.stringify(v))), new Set([JSON.stringify(stateFastPaths ? 1e12 : [1e12])]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: event time started over from the minimum after a restore, so a record that
// was late before it (its window had fired and its state was gone) opened a new window of its own, and left the
// late output: a result no failure-free run has. A restore now starts each task's event time at the checkpoint's.
for (const parallelism of [2, 3]) test(`a record late before a stop with savepoint is late after the resume too (resumed at parallelism ${parallelism})`, { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-win-late-'));
  try {
    const stateDir = path.join(dir, 'state');
    const job = (phase: string): URL => new URL(`./jobs/late-after-restore.ts?${new URLSearchParams({ dir, phase })}`, import.meta.url);
    const h = endsWithTest(t, await run(job('before'), { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: () => {} }));
    await polledUntil(() => existsSync(path.join(dir, 'emitted')), 'the marker that the late record was emitted', h, 5);
    await h.stopWithSavepoint('sp');
    const before = (await h.result).collected;
    const windowsOf = (fires: unknown[] | undefined): string[] => ((fires ?? []) as [string, number, number[]][]).map(([k, s, ids]) => `${k} ${s}: ${ids.length}`);
    assert.ok(windowsOf(before.fires).includes('k0 0: 5'), 'window [0, 100) fired before the savepoint');
    const after = (await (await run(job('after'), { parallelism, stateDir, resume: { savepoint: 'sp' }, onWarning: () => {} })).result).collected;
    assert.deepEqual(after.late, [100], 'the record at ts 50 is late');
    assert.ok(!windowsOf(after.fires).includes('k0 0: 1'), `no window of the late record alone: ${windowsOf(after.fires).join(', ')}`);
    assert.ok(windowsOf(after.fires).includes('k0 900: 5') && windowsOf(after.fires).includes('k1 900: 5'), 'the open window fired from its restored state');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
