// alignmentTimeoutMs in a whole job under heavy backpressure (jobs/alignment-timeout.ts): aligned checkpoints whose
// barriers would wait behind full rings switch to unaligned and complete while the sink is still slow; the job
// resumes from such a checkpoint exactly once after its sink's thread exits. The sink fails the job if it takes
// `limit` records slowly with no checkpoint completed: without the timeout, that is what happens.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobResult, type RunOptions } from '../../../core/index.js';
import type { CompletedCheckpoint } from '../../../core/checkpoint/checkpoint-history.js';
import { Packr } from 'msgpackr';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { OUTPUT, type InFlightRecord } from '../../../core/checkpoint/messages.js';
import { readLedger, tally } from './ledger.js';
import type { Event } from './jobs/alignment-timeout.ts';

/** Events per source (partitions 0 and 1). */
const N = 20_000;

function url(params: Record<string, string | number>): URL {
  const u = new URL('./jobs/alignment-timeout.ts', import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/**
 * Per checkpoint id, the task heads whose channel state it holds (in-flight chunks f/<checkpoint>/<head>/<subtask>),
 * with ':output' after a head whose state has records its output gate had not sent (its barrier went ahead of them).
 */
async function channelState(stateDir: string): Promise<Map<number, string[]>> {
  const store = await CheckpointStore.open(stateDir);
  const out = new Map<number, string[]>();
  const packr = new Packr({ useRecords: true, sequential: true, moreTypes: true });
  try {
    for await (const e of store.entries('f/')) {
      const [, id, head] = e.key.split('/');
      const records = packr.unpack((await store.rawGet(e.key))!) as InFlightRecord[];
      const heads = [head!, ...(records.some((r) => r.input === OUTPUT) ? [`${head!}:output`] : [])];
      out.set(Number(id), [...(out.get(Number(id)) ?? []), ...heads]);
    }
  } finally {
    await store.close();
  }
  return out;
}

/**
 * Runs the job in `dir` until it ends; `markAt(c)` says when the test writes the marker (the sink turns fast, or
 * exits once with exit=1). Returns the result (or the failure), every completed checkpoint, and the ids restored.
 */
async function runJob(dir: string, params: Record<string, string | number>, markAt: (c: CompletedCheckpoint, completed: CompletedCheckpoint[]) => boolean, options: Partial<RunOptions> = {}) {
  const marker = path.join(dir, 'marker');
  const ledger = path.join(dir, 'ledger');
  const stateDir = path.join(dir, 'state');
  const completed: CompletedCheckpoint[] = [];
  const restored: number[] = [];
  const h = await run(url({ ledger, marker, slowMs: 20, interval: 300, limit: 400, n: N, ...params }), {
    stateDir, ringBytes: 64 * 1024, retainedCheckpoints: 20, onWarning: () => {}, restartStrategy: { type: 'none' },
    onCheckpoint: (c) => { completed.push(c); if (markAt(c, completed)) writeFileSync(marker, ''); },
    onRestoreProgress: (p) => { if (restored.at(-1) !== p.checkpointId) restored.push(p.checkpointId); },
    ...options,
  });
  let r: JobResult | undefined;
  let failure: Error | undefined;
  try { r = await h.result; } catch (e) { failure = e as Error; }
  const events = readLedger<Event>(ledger);
  return { r, failure, completed, restored, stateDir, counts: tally(events.map((e) => e.p * N + e.seq), 2 * N) };
}

test('under backpressure, aligned checkpoints with alignmentTimeoutMs switch to unaligned and complete while the sink is slow', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-align-timeout-'));
  try {
    // The sink stays slow (its rings full) until three checkpoints have completed.
    const { r, failure, completed, stateDir, counts } = await runJob(dir, { timeout: 50 }, (_c, all) => all.length === 3);
    assert.equal(failure, undefined, `the job failed: ${failure?.message}`);
    const underBackpressure = completed.slice(0, 3);
    assert.deepEqual(underBackpressure.map((c) => [c.kind, c.unaligned]), [['checkpoint', true], ['checkpoint', true], ['checkpoint', true]],
      'reported as switched to unaligned (the job checkpoints aligned)');
    // The sink has one channel: it has channel state only where a barrier was taken ahead of its full ring.
    const state = await channelState(stateDir);
    assert.ok(underBackpressure.some((c) => state.get(c.id)?.includes('slow')), `channel state: ${JSON.stringify([...state])}`);
    // The map switched (its alignment timed out, or a source's barrier came unaligned) and sent its barrier on
    // unaligned, ahead of the output it had not sent, which the checkpoint holds.
    assert.ok(underBackpressure.some((c) => state.get(c.id)?.includes('middle:output')), `channel state: ${JSON.stringify([...state])}`);
    assert.ok(r!.checkpoints.completed.length >= 3);
    assert.deepEqual(counts, { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('without alignmentTimeoutMs the same backpressure completes no checkpoint: the sink gives up', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-align-timeout-'));
  try {
    const { failure, completed } = await runJob(dir, { timeout: 'Infinity', limit: 150 }, () => true);
    assert.match(failure?.message ?? 'it did not fail', /no checkpoint completed while 150 records were taken slowly/);
    assert.deepEqual(completed, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a crash after a checkpoint switched to unaligned resumes from it exactly once: every (partition, seq) once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-align-timeout-'));
  try {
    // The marker at the first switched checkpoint: the sink's thread exits at its next record. Under this backpressure
    // any checkpoint completing meanwhile switches too, so the restore is from one that switched.
    const { r, failure, completed, restored, stateDir, counts } = await runJob(dir, { timeout: 50, exit: 1 }, (c) => c.unaligned,
      { restartStrategy: { type: 'fixed-delay', attempts: 1, delayMs: 0 } });
    assert.equal(failure, undefined, `the job failed: ${failure?.message}`);
    assert.equal(r!.restarts, 1);
    assert.equal(restored.length, 1);
    const from = completed.find((c) => c.id === restored[0]);
    assert.equal(from?.unaligned, true, `restored from checkpoint ${restored[0]}: ${JSON.stringify(from)}`);
    const state = await channelState(stateDir);
    assert.ok((state.get(from!.id) ?? []).length > 0, `the restored checkpoint held channel state: ${JSON.stringify([...state])}`);
    assert.deepEqual(counts, { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
