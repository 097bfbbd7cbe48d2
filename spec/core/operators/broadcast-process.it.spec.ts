// Whole jobs on real threads with a plain stream's broadcast process operator, chained behind its source (the
// broadcast input through the task's input gate) and, with chaining off, in a task of its own: every record
// exactly once, every broadcast record once per instance, event time held back to the slower input (no limit
// is late for its window), and the same through worker threads that exit at random points with checkpoints on;
// and a broadcast input with no broadcast state (`broadcast()`), its rules in the function's own state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { tally } from '../checkpoint/ledger.js';
import type { Out, PerKind } from './jobs/chained-broadcast.ts';
import type { Seen } from './jobs/chained-broadcast-watermark.ts';
import type { Out as OwnOut } from './jobs/own-state-broadcast.ts';
import { reading, rule, verdict, type Out as StatelessOut } from './jobs/stateless-broadcast.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { inspectCheckpoint, inspectDir, renderDetail } from '../../../core/cli/inspect.js';

const JOB = new URL('./jobs/chained-broadcast.ts', import.meta.url);

function jobUrl(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

function check(collected: Record<string, unknown[]>, n: number, m: number, parallelism: number, what: string): void {
  const out = collected.out as Out[];
  assert.deepEqual(tally(out.filter((o) => o.kind === 'r').map((o) => o.id), n), { lost: 0, duplicated: 0, unexpected: 0 }, `${what}: readings`);
  // Limits: (instance, index) pairs, each exactly once.
  const limits = out.filter((o) => o.kind === 'l').map((o) => o.sub * m + o.id);
  assert.deepEqual(tally(limits, m * parallelism), { lost: 0, duplicated: 0, unexpected: 0 }, `${what}: limits on every instance`);
  const counts = collected.counts as PerKind[];
  const total = (kind: string) => counts.filter((c) => c.kind === kind).reduce((s, c) => s + c.count, 0);
  assert.equal(total('r'), n, `${what}: readings counted in their windows`);
  assert.equal(total('l'), m * parallelism, `${what}: no limit was late for its window`);
}

for (const chaining of [true, false]) {
  test(`readings and limits each exactly once, event time of the slower input (chaining ${chaining ? 'on' : 'off'})`, async () => {
    const n = 20_000;
    const m = 100;
    const h = await run(jobUrl({ n, m, limitRate: 400 }), { parallelism: 2, chaining, ringBytes: 64 * 1024 });
    assert.equal(h.plan.tasks.some((t) => t.name === 'readings -> times -> inject -> check'), chaining, h.plan.tasks.map((t) => t.name).join(' | '));
    const { collected } = await h.result;
    check(collected, n, m, 2, `chaining ${chaining}`);
  });
}

test('chained behind its source, through worker threads that exit at random points: exactly once after restarts', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cbp-'));
  try {
    const n = 30_000;
    const m = 120;
    const failAt = [4_000, 11_000, 19_000].map((base) => base + Math.floor(Math.random() * 3000));
    const h = await run(jobUrl({ n, m, rate: 20_000, limitRate: 80, interval: 30, failAt: failAt.join(','), marker: path.join(dir, 'marker') }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), ringBytes: 64 * 1024,
      restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 },
    });
    const result = await h.result;
    check(result.collected, n, m, 2, `failures at ${failAt.join(', ')}`);
    assert.ok(result.restarts >= 1, `restarted (${result.restarts})`);
    assert.ok(result.checkpoints.completed.length >= 1, 'checkpoints completed');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the broadcast input ends first: the source goes on starting checkpoints, and a restore from one is exactly once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cbp-'));
  try {
    const n = 20_000;
    const m = 10;
    // Limits end within milliseconds; readings hold at 10,000 until three checkpoints have completed after both
    // limits readers ended (so they were started after), then fail once at 17,000: the restore is from one of them.
    // Were no checkpoint started after the broadcast input ended, the readings would never be let go.
    const ended = path.join(dir, 'ended');
    const held = path.join(dir, 'held');
    let after = 0;
    const h = await run(jobUrl({ n, m, rate: 10_000, limitRate: 100_000, interval: 30, failAt: 17_000, marker: path.join(dir, 'marker'), holdAt: 10_000, held, ended }), {
      parallelism: 2, stateDir: path.join(dir, 'state'), ringBytes: 64 * 1024,
      restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
      // Held for good, the job would keep the test's process alive: cancelled, it fails below.
      signal: AbortSignal.timeout(120_000),
      onCheckpoint: () => {
        if (!existsSync(`${ended}.1`) || existsSync(held)) return;
        if (++after === 3) writeFileSync(held, 'three checkpoints after the limits ended');
      },
    });
    const result = await h.result;
    assert.equal(result.cancelled, false, `the readings were never let go: ${after} checkpoints completed after the limits ended`);
    check(result.collected, n, m, 2, 'limits ended first');
    assert.equal(result.restarts, 1);
    assert.equal(after, 3, 'checkpoints completed after the limits ended');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: chained behind its source, the operator merges its inputs' event time itself, and a restore did not
// start it at the checkpoint's: currentWatermark() said MIN_WATERMARK until both inputs had sent a watermark again,
// so records late before the stop were not late after it.
test('chained behind its source: after a restore, event time starts where the savepoint left it', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-cbp-'));
  const url = new URL('./jobs/chained-broadcast-watermark.ts', import.meta.url);
  const options = { parallelism: 1, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 100 };
  let h: Awaited<ReturnType<typeof run<{ out: Seen[] }>>> | undefined;
  try {
    h = await run<{ out: Seen[] }>(url, options);
    assert.ok(h.plan.tasks.some((t) => t.name === 'readings -> times -> check -> out'), h.plan.tasks.map((t) => t.name).join(' | '));
    const before: Seen[] = [];
    for await (const s of h.output('out')) {
      before.push(s as Seen);
      if (before.length === 1500) break;
    }
    await h.stopWithSavepoint('sp');
    await h.result;
    const wmBefore = Math.max(...before.map((s) => s.wm));
    assert.ok(wmBefore > 0, `event time had moved before the stop: ${wmBefore}`);
    h = await run<{ out: Seen[] }>(url, { ...options, resume: { savepoint: 'sp' } });
    const after: Seen[] = [];
    for await (const s of h.output('out')) {
      if ((s as Seen).i > before[before.length - 1]!.i) after.push(s as Seen);
      if (after.length === 500) break;
    }
    const low = after.filter((s) => s.wm < wmBefore);
    assert.equal(low.length, 0, `${low.length} of ${after.length} records after the restore saw event time below ${wmBefore} (first: ${JSON.stringify(low[0])})`);
  } finally {
    await h?.cancel().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- a function with state of its own (snapshotState / restoreState) and an event-time clock (onWatermark)

const OWN_JOB = new URL('./jobs/own-state-broadcast.ts', import.meta.url);

test('own state held until the watermark, through worker threads that exit at random points: every reading once, and held ones came back from checkpoints', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-obp-'));
  try {
    const n = 30_000;
    const failAt = [5_000, 14_000, 23_000].map((base) => base + Math.floor(Math.random() * 3000));
    const u = new URL(OWN_JOB);
    for (const [k, v] of Object.entries({ n, rate: 20_000, interval: 30, bound: 300, failAt: failAt.join(','), marker: path.join(dir, 'marker') })) u.searchParams.set(k, String(v));
    const h = await run(u, { parallelism: 2, stateDir: path.join(dir, 'state'), ringBytes: 64 * 1024, restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 } });
    const result = await h.result;
    const out = result.collected.out as OwnOut[];
    const what = `failures at ${failAt.join(', ')}`;
    assert.deepEqual(tally(out.filter((o) => o.kind === 'r').map((o) => o.id), n), { lost: 0, duplicated: 0, unexpected: 0 }, what);
    assert.ok(result.restarts >= 1, `restarted (${result.restarts})`);
    // The committed output says what each restored instance held: readings that were only in its own state.
    const restored = out.filter((o) => o.kind === 'restored');
    assert.ok(restored.some((o) => o.id > 0), `${what}: some instance restored held readings (${JSON.stringify(restored)})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- a broadcast input with no broadcast state: `rules.broadcast()`, the rules kept in the function's own state

const STATELESS_JOB = new URL('./jobs/stateless-broadcast.ts', import.meta.url);

// Own state packed at the barrier, and cloned there with stateFastPaths off.
for (const stateFastPaths of [true, false]) {
  test(`rules.broadcast() with no descriptor, rules in the function's own state, through worker threads that exit at random points: every reading once and judged by the right rule (own state ${stateFastPaths ? 'packed' : 'cloned'})`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-sbp-'));
    try {
      const n = 30_000;
      const m = 100;
      const failAt = [5_000, 14_000, 23_000].map((base) => base + Math.floor(Math.random() * 3000));
      const u = new URL(STATELESS_JOB);
      for (const [k, v] of Object.entries({ n, m, rate: 20_000, interval: 30, bound: 300, failAt: failAt.join(','), marker: path.join(dir, 'marker') })) u.searchParams.set(k, String(v));
      const h = await run(u, { parallelism: 2, stateDir: path.join(dir, 'state'), ringBytes: 64 * 1024, restartStrategy: { type: 'fixed-delay', attempts: 10, delayMs: 0 }, stateFastPaths });
      assert.ok(h.plan.tasks.some((t) => t.name === 'readings -> times -> inject -> judge -> out'), h.plan.tasks.map((t) => t.name).join(' | '));
      const result = await h.result;
      const out = result.collected.out as StatelessOut[];
      const what = `failures at ${failAt.join(', ')}`;
      const judged = out.filter((o) => o.kind === 'r');
      assert.deepEqual(tally(judged.map((o) => o.id), n), { lost: 0, duplicated: 0, unexpected: 0 }, what);
      const rules = Array.from({ length: m }, (_, j) => rule(j, n, m));
      const wrong = judged.filter((o) => o.over !== verdict(reading(o.id), rules));
      assert.equal(wrong.length, 0, `${what}: ${wrong.length} readings judged by the wrong rule (first: ${JSON.stringify(wrong[0])})`);
      assert.ok(result.restarts >= 1, `restarted (${result.restarts})`);
      const restored = out.filter((o) => o.kind === 'restored');
      assert.ok(restored.some((o) => o.id > 0), `${what}: some instance restored rules from a checkpoint (${JSON.stringify(restored)})`);
      // What inspect says of the operator: its own state, every instance's part, dealt whole to each (union).
      const store = await CheckpointStore.open(path.join(dir, 'state'));
      try {
        const newest = (await inspectDir(store, true)).filter((r) => r.status === 'verified')[0]!;
        const detail = await inspectCheckpoint(store, newest.id, { keys: 0, verify: true });
        const judge = detail.operators.find((o) => o.uid === 'judge');
        assert.equal(judge?.kind, 'broadcastProcess');
        assert.deepEqual({ ...judge!.operatorState, bytes: judge!.operatorState!.bytes > 0 }, { redistribute: 'union', parts: 2, bytes: true });
        assert.match(renderDetail(detail), /judge[\s\S]*operator state: 2 part\(s\), .*, redistributed by union/);
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
