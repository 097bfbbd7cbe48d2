// Unaligned checkpoints under backpressure: the barrier overtakes the records queued in full rings and output
// gates (workers/input-gate.ts overtake, workers/output-gate.ts overtake) instead of waiting for them to drain.
// The sink is slow until a checkpoint completes and fails the job if that takes more than `limit` of its slow
// records; with a barrier that waited behind its ring (thousands of records, 20 ms each) it did.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Packr } from 'msgpackr';
import os from 'node:os';
import path from 'node:path';
import { run, type JobResult, type RunOptions } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { readLedger, tally } from './ledger.js';
import { OUTPUT } from '../../../core/checkpoint/messages.js';
import type { Numbered } from './jobs/overtaking.ts';
import type { Routed } from './jobs/branches.ts';

const N = 20_000;

function url(params: Record<string, string | number>): URL {
  const u = new URL('./jobs/overtaking.ts', import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

/** The keys of the in-flight chunks the state directory holds (f/<checkpoint>/<task head>/<subtask>). */
async function inFlightKeys(stateDir: string): Promise<string[]> {
  const store = await CheckpointStore.open(stateDir);
  const keys: string[] = [];
  try {
    for await (const e of store.entries('f/')) keys.push(e.key);
  } finally {
    await store.close();
  }
  return keys;
}

/**
 * The overtaking job run in `dir` to its end (state in `dir/state`, ledger in `dir/ledger`): its sink is slow until
 * the third checkpoint completes, so checkpoints are taken with full rings.
 */
async function overtaken(dir: string, params: Record<string, string | number>, options: Partial<RunOptions> = {}): Promise<{ r: JobResult; stateDir: string; ledger: string }> {
  const ledger = path.join(dir, 'ledger');
  const marker = path.join(dir, 'marker');
  const stateDir = path.join(dir, 'state');
  let completed = 0;
  const h = await run(url({ slowMs: 20, interval: 300, ledger, marker, limit: 400, ...params }), {
    stateDir, ringBytes: 64 * 1024, retainedCheckpoints: 10, onWarning: () => {},
    onCheckpoint: () => { if (++completed === 3) writeFileSync(marker, ''); },
    ...options,
  });
  return { r: await h.result, stateDir, ledger };
}

const CASES = [
  { exit: false, n: N, what: '' },
  { exit: true, n: N, what: ', and the job resumes from it exactly once' },
  // The rings hold the whole input: the source has finished and its end waits in the middle's ring behind the
  // records; the middle takes the checkpoints itself (no barrier will come), the records before the end as state.
  { exit: true, n: 3000, what: ' after its source finished, and the job resumes from it exactly once' },
];

for (const { exit, n, what } of CASES) {
  test(`a barrier overtakes full rings: an unaligned checkpoint completes behind a slow sink${what}`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-overtake-'));
    try {
      // The first checkpoint may come before the rings have filled: the sink turns fast after the third.
      const { r, stateDir, ledger } = await overtaken(dir, { n, exit: exit ? 1 : 0 }, exit ? { restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 0 } } : {});
      assert.equal(r.restarts, exit ? 1 : 0);
      assert.ok(r.checkpoints.completed.length >= 3);
      // One channel per exchange: channel state of the sink's input exists only if its barrier was taken ahead.
      const keys = await inFlightKeys(stateDir);
      assert.ok(keys.some((k) => k.includes('/slow/')), `in-flight chunks: ${keys.join(', ')}`);
      assert.deepEqual(tally(readLedger<Numbered>(ledger).map((x) => x.i), n), { lost: 0, duplicated: 0, unexpected: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regression: records an output gate had not sent are kept by channel, that is by consumer subtask; a
// resume that rescaled the consumer put them on the old channel numbers, and keyed records reached subtasks that do
// not own their keys. Then refused; now they go to the consumer subtask that owns their key (in-flight-rescale.ts).
test('a resume that rescales the consumers of records a gate had not sent routes them by key', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-overtake-'));
  try {
    const stateDir = path.join(dir, 'state');
    const bad = path.join(dir, 'misrouted');
    const job = (p: number): URL => { const u = new URL('./jobs/keyed-route.ts', import.meta.url); u.searchParams.set('p', String(p)); u.searchParams.set('bad', bad); return u; };
    let completed = 0;
    const h = await run(job(1), {
      stateDir, ringBytes: 4096, retainedCheckpoints: 20, onWarning: () => {},
      onCheckpoint: () => { if (++completed === 12) void h.cancel(); },
    });
    await h.result.catch(() => undefined);
    // A checkpoint where the generator holds output its gate had not sent; best where the consumer holds no channel
    // state of its own. (Requiring that kind failed once on a loaded machine: none of 12 was.)
    const store = await CheckpointStore.open(stateDir);
    const byCheckpoint = new Map<number, string[]>();
    let chosen: number | undefined;
    try {
      for await (const e of store.entries('f/')) {
        const id = Number(e.key.split('/')[1]);
        byCheckpoint.set(id, [...(byCheckpoint.get(id) ?? []), e.key]);
      }
      const unsent: { id: number; alone: boolean }[] = [];
      for (const [id, keys] of byCheckpoint) {
        const src = keys.find((k) => k.includes('/src/'));
        if (src === undefined) continue;
        const records = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack((await store.rawGet(src))!) as { input: number }[];
        if (records.some((r) => r.input === OUTPUT)) unsent.push({ id, alone: keys.length === 1 });
      }
      chosen = (unsent.find((u) => u.alone) ?? unsent[0])?.id;
    } finally {
      await store.close();
    }
    assert.ok(chosen !== undefined, `a checkpoint with the generator's unsent output: ${JSON.stringify([...byCheckpoint])}`);
    // The records in flight are replayed before anything is read, so before the first checkpoint, which cancels it.
    let resumed: Awaited<ReturnType<typeof run>> | undefined;
    resumed = await run(job(2), { stateDir, resume: { checkpoint: chosen! }, ringBytes: 4096, onWarning: () => {}, onCheckpoint: () => { void resumed?.cancel(); } });
    const r = await resumed.result;
    assert.equal(r.restoredFrom, chosen);
    assert.equal(existsSync(bad), false, 'no record reached a subtask that does not own its key');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: the in-flight records of an unaligned checkpoint were replayed into the operator in the
// shape they had when taken, never checked against the exchange's record schema of the job resumed: after a schema
// change, records without the new schema's fields reached user code. They now cross the exchange's codec on replay.
test('resuming an unaligned checkpoint whose in-flight records the changed record schema does not fit is refused, naming the operator', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-overtake-'));
  try {
    const params = { n: N, exit: 0 };
    const { r, stateDir } = await overtaken(dir, { ...params, schema: 1 });
    assert.ok(r.checkpoints.completed.length >= 3);
    const withSinkInput = [...new Set((await inFlightKeys(stateDir)).filter((k) => k.includes('/slow/')).map((k) => Number(k.split('/')[1])))];
    assert.ok(withSinkInput.length > 0, 'a checkpoint holds records in flight to the sink');
    const resume = (schema: number) => async (): Promise<void> => {
      await (await run(url({ ...params, slowMs: 20, interval: 300, limit: 400, marker: path.join(dir, 'marker'), ledger: path.join(dir, `ledger-${schema}`), schema }), {
        stateDir, resume: { checkpoint: withSinkInput[0]! }, ringBytes: 64 * 1024, onWarning: () => {}, restartStrategy: { type: 'none' },
      })).result;
    };
    await assert.rejects(resume(2), (e: Error) => e.name === 'OperatorError' && /operator 'slow'/.test(e.message)
      && /holds records of input 0 that its record schema no longer fits/.test(e.message));
    // With the schema it was taken with, the same checkpoint resumes.
    await resume(1)();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: records an output gate had not sent were restored by gate number, so declaring a job's
// branches in another order (or adding one) sent one sink's records to another: one lost 32, the other had them
// twice. They now go to the gate that leads where theirs led; a gate the job no longer has is refused.
test('an unaligned checkpoint of records a gate had not sent: restored through the gate that leads where theirs did, or refused', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-overtake-'));
  try {
    const n = 30_000;
    const stateDir = path.join(dir, 'state');
    const job = (v: number, ledger: string): URL => { const u = new URL('./jobs/branches.ts', import.meta.url); u.searchParams.set('v', String(v)); u.searchParams.set('ledger', ledger); u.searchParams.set('n', String(n)); return u; };
    let completed = 0;
    const h = await run(job(1, path.join(dir, 'ledger-first')), {
      stateDir, ringBytes: 4096, retainedCheckpoints: 1000, onWarning: () => {},
      onCheckpoint: () => { if (++completed === 8) void h.cancel(); },
    });
    await h.result.catch(() => undefined);
    // A checkpoint where the generator's task held records it had not sent.
    const store = await CheckpointStore.open(stateDir);
    let chosen: number | undefined;
    try {
      for await (const e of store.entries('f/')) {
        if (!e.key.includes('/src/')) continue;
        const records = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack((await store.rawGet(e.key))!) as { input: number; control?: unknown }[];
        if (records.some((r) => r.input === OUTPUT && r.control === undefined)) { chosen = Number(e.key.split('/')[1]); break; }
      }
    } finally {
      await store.close();
    }
    assert.ok(chosen !== undefined, 'a checkpoint holds records the generator had not sent');
    for (const v of [1, 2, 3]) {
      // Each resume from that checkpoint: what the first run published up to it, and what this one publishes.
      const ledger = path.join(dir, `ledger-${v}`);
      await (await run(job(v, ledger), { stateDir, resume: { checkpoint: chosen! }, ringBytes: 4096, retainedCheckpoints: 1000, onWarning: () => {} })).result;
      for (const sink of ['a', 'b']) {
        // The first run's transactions before that checkpoint, and the resumed run's (which publishes that
        // checkpoint's own again, as every resume does: idempotent in a real sink, a file of its own here).
        const firstDir = path.join(dir, 'ledger-first', sink);
        const upTo: Routed[] = readdirSync(firstDir).filter((f) => /^\d+-\d+\.json$/.test(f) && Number(f.split('-')[1]!.slice(0, -5)) < chosen!)
          .flatMap((f) => JSON.parse(readFileSync(path.join(firstDir, f), 'utf8')) as Routed[]);
        const all: Routed[] = [...upTo, ...readLedger<Routed>(path.join(ledger, sink))];
        assert.deepEqual(all.filter((r) => r.to !== sink).length, 0, `v${v}: sink ${sink} got no other branch's records`);
        assert.deepEqual(tally(all.map((r) => r.i), n), { lost: 0, duplicated: 0, unexpected: 0 }, `v${v}: sink ${sink}`);
      }
    }
    await assert.rejects(
      // Partitioned another way now: the records in flight were routed by the old partitioning.
      async () => (await run(job(4, path.join(dir, 'ledger-4')), { stateDir, resume: { checkpoint: chosen! }, ringBytes: 4096, onWarning: () => {} })).result,
      /is an unaligned checkpoint holding records of '[^']+' \(subtask 0\) in flight through 'ma[^']* hash[^']*', which this job does not have: its exchanges changed/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
