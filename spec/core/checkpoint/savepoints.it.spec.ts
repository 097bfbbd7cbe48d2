// Savepoints: taken on a running job through the API, kept by retention, restored at another parallelism and
// into a changed job (operators matched by uid; state of an operator the job lost is refused unless allowed).
// Also: a source that cannot rewind warns, naming itself; a checkpoint that cannot complete in time is aborted and
// never visible.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CheckpointRefusedError, run, type JobHandle } from '../../../core/index.js';
import { ClassicLevel } from 'classic-level';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { dirProblems, inspectCommand, inspectDir } from '../../../core/cli/inspect.js';
import { brokenCounts, readLedger, tally } from './ledger.js';
import type { Update } from './jobs/exactly-once.ts';
import { captured } from '../../support/captured-output.js';
import { generatorReach } from './generator-reach.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

function url(file: string, params: Record<string, string | number>): URL {
  const u = new URL(`./jobs/${file}`, import.meta.url);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

const tmp = (): string => mkdtempSync(path.join(os.tmpdir(), 'sluice-sp-'));

/** Resolves once the job's sink (`operator`) has received `n` records (live metrics), or the job ended. */
async function sinkSaw(h: JobHandle, n: number, operator = 'out'): Promise<void> {
  let ended = false;
  h.result.then(() => { ended = true; }, () => { ended = true; });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const seen = h.metrics().operators.filter((o) => o.operator === operator).reduce((s, o) => s + o.recordsIn, 0);
    if (seen >= n || ended) return;
    assert.ok(Date.now() < deadline, `${operator} saw ${seen} of ${n} records within 60 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a savepoint taken on a running job is self-contained and restores at parallelism 3, exactly once', async (t) => {
  const dir = tmp();
  try {
    const keys = 300;
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    // No periodic checkpoint: the savepoint is the last thing the first run publishes. Its input is unbounded:
    // regression (a loaded CI machine): a bounded one ended before the cancel, its last commit published what
    // followed the savepoint, and the resume published that again (25,484 duplicates of a correct engine).
    const params = { keys, rate: 20_000, interval: 600_000, ledger };
    const h = endsWithTest(t, await run(url('exactly-once.ts', { ...params, unbounded: 1 }), { parallelism: 2, stateDir, onWarning: () => {} }));
    await sinkSaw(h, 5_000);
    const sp = await h.savepoint('before-rescale');
    assert.equal(sp.kind, 'savepoint');
    assert.equal((await h.cancel()).cancelled, true, 'the first run was still running when cancelled');
    // The resumed run reads 35,000 records past what the savepoint covers.
    const n = (await generatorReach(stateDir, sp.id)) + 35_000;
    const job = url('exactly-once.ts', { ...params, n });
    const store = await CheckpointStore.open(stateDir);
    const m = await store.readManifest(sp.id);
    assert.ok(Object.values(m.operators.count!.keyGroups!).every((g) => g.chain.length === 1 && g.chain[0]!.full), 'full key groups, sharing nothing');
    await store.close();
    const h2 = await run(job, { parallelism: 3, stateDir, resume: { savepoint: 'before-rescale' }, onWarning: () => {} });
    const r2 = await h2.result;
    assert.equal(r2.restoredFrom, sp.id);
    const updates = readLedger<Update>(ledger);
    assert.deepEqual(tally(updates.map((u) => u.i), n), { lost: 0, duplicated: 0, unexpected: 0 });
    assert.deepEqual(brokenCounts(updates), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a name taken again moved to the new savepoint, and retention then deleted the old one as
// an ordinary checkpoint, without a word.
test('a savepoint name already taken is refused, in the same run and in a later one; the first savepoint stays', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const job = url('exactly-once.ts', { n: 1_000_000, keys: 50, rate: 20_000, interval: 600_000, ledger: path.join(dir, 'ledger') });
    const h = endsWithTest(t, await run(job, { parallelism: 2, stateDir, retainedCheckpoints: 1, onWarning: () => {} }));
    await sinkSaw(h, 1_000);
    const first = await h.savepoint('v1');
    await assert.rejects(h.savepoint('v1'), (e: Error) => e.name === 'SavepointNameError' && e.message.includes(`the name 'v1' is taken (checkpoint ${first.id}`));
    const both = await Promise.allSettled([h.savepoint('v2'), h.savepoint('v2')]);
    assert.deepEqual(both.map((b) => b.status).sort(), ['fulfilled', 'rejected'], 'two at once: one is taken, the other refused');
    assert.match(String((both.find((b) => b.status === 'rejected') as PromiseRejectedResult).reason), /the name 'v2' is taken \(a savepoint being taken/);
    for (let i = 0; i < 3; i++) await h.checkpoint();
    await h.cancel();
    const h2 = endsWithTest(t, await run(job, { parallelism: 2, stateDir, resume: 'latest', retainedCheckpoints: 1, onWarning: () => {} }));
    await assert.rejects(h2.savepoint('v1'), /the name 'v1' is taken/);
    await h2.cancel();
    const store = await CheckpointStore.open(stateDir);
    try {
      assert.equal(await store.savepointId('v1'), first.id);
      assert.equal((await store.readManifest(first.id)).kind, 'savepoint', 'kept through retention');
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('starting from a savepoint of a job that lost an operator (by uid) is refused, naming it, unless allowed', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(url('exactly-once.ts', { n: 1_000_000, keys: 100, rate: 20_000, interval: 600_000 }), { parallelism: 2, stateDir, retainedCheckpoints: 1, onWarning: () => {} }));
    await sinkSaw(h, 2_000);
    const sp = await h.savepoint('v1');
    await h.checkpoint();
    await h.checkpoint();
    await h.cancel();
    const store = await CheckpointStore.open(stateDir);
    assert.deepEqual(await store.savepoints(), [{ name: 'v1', id: sp.id, raw: String(sp.id) }], 'retention keeps savepoints');
    assert.equal((await store.manifestIds()).length, 2, 'the savepoint and the one retained checkpoint');
    await store.close();
    const changed = url('exactly-once.ts', { n: 3_000, keys: 100, rate: 0, interval: 10_000, countUid: 'count-v2' });
    await assert.rejects(run(changed, { parallelism: 2, stateDir, resume: { savepoint: 'v1' } }),
      (e: Error) => e.name === 'JobDefinitionError' && /'count'/.test(e.message) && /allowNonRestoredState/.test(e.message));
    const h2 = await run(changed, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, allowNonRestoredState: true, onWarning: () => {} });
    const r2 = await h2.result;
    assert.equal(r2.cancelled, false);
    // The source resumed where the savepoint left it; the renamed counter started from empty state.
    const counts = (r2.collected.out as Update[]).filter((u) => u.count === 1).length;
    assert.ok(counts > 0, 'the new operator counts from scratch');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a uid whose keyed reduce became a stateless map restored "successfully", and its keyed
// state was dropped without a word (and carried on into every later checkpoint).
test('starting from a savepoint whose operator uid is now another kind of operator is refused, naming both kinds, unless allowed', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(url('exactly-once.ts', { n: 1_000_000, keys: 100, rate: 20_000, interval: 600_000 }), { parallelism: 2, stateDir, onWarning: () => {} }));
    await sinkSaw(h, 2_000);
    const sp = await h.savepoint('v1');
    await h.cancel();
    const before = await CheckpointStore.open(stateDir);
    try {
      assert.equal((await before.readManifest(sp.id)).operators.count?.kind, 'reduce', 'the manifest records the kind');
    } finally {
      await before.close();
    }
    const changed = url('exactly-once.ts', { n: 3_000, keys: 100, rate: 0, interval: 10_000, countKind: 'map' });
    await assert.rejects(run(changed, { parallelism: 2, stateDir, resume: { savepoint: 'v1' } }),
      (e: Error) => e.name === 'JobDefinitionError' && e.message.includes("a 'reduce' operator wrote under uid 'count', and in this job that uid is a 'map' operator") && /allowNonRestoredState/.test(e.message));
    const h2 = await run(changed, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, allowNonRestoredState: true, onWarning: () => {} });
    const r2 = await h2.result;
    assert.equal(r2.cancelled, false);
    // The dropped state is not carried on: the run's last checkpoint holds no keyed state under 'count'.
    const store = await CheckpointStore.open(stateDir);
    try {
      const last = Math.max(...await store.manifestIds());
      const m = await store.readManifest(last);
      assert.ok(last > 1, 'the resumed run checkpointed');
      assert.deepEqual(Object.keys(m.operators.count?.keyGroups ?? {}), []);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a source uid taken over by another kind of source (the tutorial's generator become a file
// source) started, and its reader failed on the old positions at every restart ("not a file split").
test('starting from a savepoint whose source uid is now another kind of source is refused before any thread starts, unless allowed', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(url('exactly-once.ts', { n: 1_000_000, keys: 100, rate: 20_000, interval: 600_000 }), { parallelism: 2, stateDir, onWarning: () => {} }));
    await sinkSaw(h, 2_000);
    const sp = await h.savepoint('v1');
    await h.cancel();
    const before = await CheckpointStore.open(stateDir);
    try {
      assert.equal((await before.readManifest(sp.id)).sources.gen?.kind, 'generator', 'the manifest records the source kind');
    } finally {
      await before.close();
    }
    const changed = url('exactly-once.ts', { n: 3_000, keys: 100, rate: 0, interval: 10_000, genKind: 'collection' });
    const warnings: string[] = [];
    await assert.rejects(run(changed, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, onWarning: (w) => warnings.push(w) }),
      (e: Error) => e.name === 'JobDefinitionError' && e.message.includes("read positions of a 'generator' source under uid 'gen', and in this job that uid is a 'collection' source") && /allowNonRestoredState/.test(e.message));
    assert.deepEqual(warnings, [], 'refused before any attempt, not after restarts');
    const h2 = await run(changed, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, allowNonRestoredState: true, onWarning: () => {} });
    const r2 = await h2.result;
    assert.equal(r2.restarts, 0);
    // The positions were dropped: the collection was read from its start.
    assert.equal(r2.metrics.operators.filter((o) => o.operator === 'gen').reduce((t, o) => t + o.recordsOut, 0), 3_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('checkpointing a job with a source that cannot rewind warns, naming the source', async () => {
  const dir = tmp();
  try {
    const warnings: string[] = [];
    const h = await run(new URL('../runtime/jobs/misc.ts?case=async-iterable', import.meta.url), { parallelism: 1, stateDir: path.join(dir, 'state'), onWarning: (m) => warnings.push(m) });
    await h.result;
    assert.ok(warnings.some((w) => /source '.*' \(async-iterable\) cannot rewind: after a restart or resume its factory is called again and the records it had emitted by the checkpoint are skipped/.test(w)), warnings.join('\n'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint that cannot complete in time is aborted, and never visible', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    // A sink whose every write waits: barriers queue behind slow records and never arrive within 1 ms.
    const h = endsWithTest(t, await run(url('slow-sink.ts', { n: 20_000, interval: 5, mode: 'aligned', ledger: path.join(dir, 'ledger'), everyN: 2 }), {
      parallelism: 2, stateDir, checkpointTimeoutMs: 1, ringBytes: 4096, onWarning: () => {},
    }));
    // Let several checkpoints be triggered (every 5 ms) and time out (after 1 ms) behind the slow records.
    await sinkSaw(h, 300, 'slow-out');
    const deadline = Date.now() + 60_000;
    while (h.checkpoints().aborted.length < 2) {
      if (Date.now() >= deadline) await h.cancel();
      assert.ok(Date.now() < deadline, 'two checkpoints not aborted within 60 s');
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.cancel();
    const r = await h.result;
    assert.ok(r.checkpoints.aborted.length > 0, 'some checkpoint timed out');
    assert.ok(r.checkpoints.aborted.every((a) => /not completed within 1 ms|the job stopped/.test(a.reason)));
    const store = await CheckpointStore.open(stateDir);
    const ids = new Set(await store.manifestIds());
    await store.close();
    for (const a of r.checkpoints.aborted) assert.ok(!ids.has(a.id), `aborted checkpoint ${a.id} has no manifest`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a savepoint's name record (no checksum of its own) with one bit flipped named
// another checkpoint, which was restored in silence, and inspect reported nothing; a record that was not an id
// read as checkpoint NaN.
test('a damaged savepoint name record is refused on restore and reported by inspect, never followed', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const job = url('exactly-once.ts', { n: 1_000_000, keys: 50, rate: 20_000, interval: 600_000, ledger: path.join(dir, 'ledger') });
    const h = endsWithTest(t, await run(job, { parallelism: 2, stateDir, retainedCheckpoints: 3, onWarning: () => {} }));
    await sinkSaw(h, 1_000);
    const sp = await h.savepoint('v1');
    const later = await h.checkpoint();
    await h.cancel();
    const damage = async (value: string): Promise<void> => {
      const db = new ClassicLevel<string, string>(stateDir);
      await db.put('s/v1', value);
      await db.close();
    };
    const problems = async (): Promise<string[]> => {
      const store = await CheckpointStore.open(stateDir);
      try {
        return (await dirProblems(store, await inspectDir(store, false))).problems;
      } finally {
        await store.close();
      }
    };
    assert.deepEqual(await problems(), [], 'intact');
    await damage(String(later.id));
    await assert.rejects(run(job, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, onWarning: () => {} }),
      (e: Error) => e.name === 'CorruptCheckpointError' && e.message.includes(`savepoint 'v1' is recorded as checkpoint ${later.id}, but that is a checkpoint, not a savepoint`));
    assert.match((await problems()).join('\n'), new RegExp(`savepoint 'v1' is recorded as checkpoint ${later.id}, but that is a checkpoint`));
    // inspect --savepoint refuses it too (exit 1), as does a record that is not an id, below.
    const inspectSavepoint = async (): Promise<number> => (await captured(() => inspectCommand(stateDir, { savepoint: 'v1', keys: 0, verify: false }))).code;
    assert.equal(await inspectSavepoint(), 1);
    await damage('x1');
    await assert.rejects(run(job, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, onWarning: () => {} }),
      (e: Error) => e.name === 'StateDirError' && e.message.includes(`savepoint 'v1' is damaged`) && e.message.includes('"x1"'));
    assert.match((await problems()).join('\n'), /savepoint 'v1' is damaged: its name record holds "x1", not a checkpoint id/);
    assert.equal(await inspectSavepoint(), 1);
    // Mended, it restores.
    await damage(String(sp.id));
    assert.deepEqual(await problems(), []);
    assert.equal(await inspectSavepoint(), 0);
    const h2 = await run(job, { parallelism: 2, stateDir, resume: { savepoint: 'v1' }, onWarning: () => {} });
    assert.equal((await h2.cancel()).restoredFrom, sp.id);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression (checkpoint review): taking a savepoint read a damaged name record as "no such name" and took the name
// over, writing the new savepoint's id over the damage without a word. It now fails, naming the record and the
// directory, and writes nothing; once the name is deleted, it is taken.
test('a savepoint under a name whose record is damaged fails, naming it, and writes nothing', async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const job = url('exactly-once.ts', { n: 1_000_000, keys: 50, rate: 20_000, interval: 600_000, ledger: path.join(dir, 'ledger') });
    const first = endsWithTest(t, await run(job, { parallelism: 1, stateDir, onWarning: () => {} }));
    await first.savepoint('v1');
    await first.cancel();
    const db = new ClassicLevel<string, string>(stateDir);
    await db.put('s/v1', 'x1');
    await db.close();
    const h = await run(job, { parallelism: 1, stateDir, onWarning: () => {} });
    try {
      await assert.rejects(h.savepoint('v1'), (e: Error) => e.name === 'StateDirError'
        && e.message.startsWith(`savepoint 'v1' was not taken: savepoint 'v1' is damaged in ${stateDir}: its name record holds "x1", not a checkpoint id`));
      await h.deleteSavepoint('v1');
      const taken = await h.savepoint('v1');
      assert.equal(taken.name, 'v1');
    } finally {
      await h.cancel();
    }
    const check = new ClassicLevel<string, string>(stateDir);
    try {
      assert.notEqual(await check.get('s/v1'), 'x1');
    } finally {
      await check.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a stop with savepoint asked for as a bounded job ended let its threads end before the
// savepoint completed; the final checkpoint then published everything after the savepoint, and a job resumed from
// it published that again (980 records twice).
test('stopWithSavepoint as a bounded job ends: no final checkpoint after the savepoint; a job resumed from it publishes each record once', { timeout: 60_000 }, async (t) => {
  const dir = tmp();
  try {
    const n = 4000;
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    const marker = (m: string): string => path.join(dir, m);
    const until = (m: string): Promise<void> => polledUntil(() => existsSync(marker(m)), `the marker '${m}'`, h, 5);
    const job = url('stop-at-end.ts', { dir, ledger, n });
    const h = endsWithTest(t, await run(job, { parallelism: 1, stateDir, checkpointIntervalMs: 0, onWarning: () => {} }));
    await until('half');
    const stopping = h.stopWithSavepoint('at-end');
    // A second stop is told the first is under way (it got "checkpoint N was aborted").
    // Typed (it was a plain Error): a caller tells it from a stop refused for good without reading the message.
    await assert.rejects(h.stopWithSavepoint('again'), (e: unknown) => e instanceof CheckpointRefusedError && e.reason === 'already-stopping'
      && e.message === "the job is already stopping with savepoint 'at-end': it stops once that savepoint completes (if it fails, the job runs on and may be stopped again)");
    writeFileSync(marker('go'), '');
    // Every record has passed the sink: its threads end while the savepoint's commit waits.
    await until('ended');
    writeFileSync(marker('release'), '');
    const sp = await stopping;
    const r = await h.result;
    assert.equal(r.cancelled, true);
    assert.equal(r.stoppedWithSavepoint?.id, sp.id);
    assert.deepEqual(r.checkpoints.completed.map((c) => c.kind), ['savepoint'], 'no final checkpoint after it');
    const resumed = await (await run(job, { parallelism: 1, stateDir, resume: { savepoint: 'at-end' }, onWarning: () => {} })).result;
    assert.equal(resumed.cancelled, false);
    assert.deepEqual(tally(readLedger<number>(ledger), n), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a stop-with-savepoint's summary counted the records its sources read while the savepoint
// completed (a trial: 13,336 read, 12,668 in the savepoint), as if the savepoint held them.
test('stopWithSavepoint: the result says how many source records came after its barrier, exactly those its source positions do not cover', { timeout: 60_000 }, async (t) => {
  const dir = tmp();
  try {
    const stateDir = path.join(dir, 'state');
    const h = endsWithTest(t, await run(url('keyed-counts.ts', {}), { parallelism: 2, stateDir, checkpointIntervalMs: 0, onWarning: () => {} }));
    await sinkSaw(h, 5_000);
    const sp = await h.stopWithSavepoint('stop');
    const r = await h.result;
    assert.equal(r.stoppedWithSavepoint?.id, sp.id);
    const emitted = r.metrics.operators.filter((o) => o.operator === 'gen').reduce((n, o) => n + o.recordsOut, 0);
    // What the savepoint covers, from its own source positions: the records each generator split had emitted.
    let covered = 0;
    const store = await CheckpointStore.open(stateDir);
    try {
      for (const s of (await store.readManifest(sp.id)).sources['gen']!.splits) {
        const p = s.position as { start: number; stride: number; next: number };
        covered += (p.next - p.start) / p.stride;
      }
    } finally {
      await store.close();
    }
    assert.ok(covered > 0 && covered <= emitted, `covered ${covered} of ${emitted}`);
    assert.equal(r.readAfterSavepoint, emitted - covered);
    // The source (50,000 a second) reads on while the savepoint completes: this run has such records to count.
    assert.ok(r.readAfterSavepoint! > 0, `records read after the barrier: ${r.readAfterSavepoint}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
