// assignRestore, the event time a restore starts each task at (Manifest.watermarks): the lowest of the old
// subtasks that had not ended, on every subtask, only where the uid still heads its task; restoreSourceSplits.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan } from '../../../core/graph/physical-plan.js';
import { assignRestore, restoreSourceSplits } from '../../../core/checkpoint/restore.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import type { SourceSpec } from '../../../core/connectors/source.js';
import type { Manifest } from '../../../core/checkpoint/manifest.js';
import { MIN_WATERMARK } from '../../../core/time/watermark.js';
import { Packr } from 'msgpackr';

/** A collection keyed into map 'm' at `parallelism` (behind a map 'pre' chained ahead of it: 'm' heads nothing). */
function job(parallelism: number, pre = false) {
  const env = new StreamEnvironment(parallelism);
  const keyed = env.fromCollection([1, 2]).name('src').uid('src').keyBy((x) => x % 2);
  (pre ? keyed.map((x: number) => x).name('pre').uid('pre') : keyed).map((x: number) => x).name('m').uid('m').discard().name('out').uid('out');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 1 });
  return { graph: env.graph, p, task: p.tasks.find((t) => env.graph.nodes[t.nodeIds[0]!]!.name === (pre ? 'pre' : 'm'))! };
}

function startsAt(watermarks: (number | null)[], into = job(2)): (number | undefined)[] {
  const manifest = {
    format: 2, id: 3, kind: 'checkpoint', createdAt: '', maxParallelism: into.p.maxParallelism, jobFingerprint: 'x', operators: {}, sources: {},
    watermarks: { m: watermarks }, taskParallelism: { m: watermarks.length }, keyedEntries: 0, finished: false,
  } as unknown as Manifest;
  const r = assignRestore({ manifest, chunks: new Map() } as never, into.graph, into.p, { allowNonRestoredState: true });
  return Array.from({ length: into.task.parallelism }, (_, s) => r.subtasks[`${into.task.id}/${s}`]?.watermark);
}

// At the same parallelism each subtask took its own, but a subtask fed one-to-one by a source may read
// other splits after a restore.
test('every subtask starts at the lowest of the old ones, at the same parallelism and rescaled', () => {
  assert.deepEqual(startsAt([300, 100]), [100, 100]);
  assert.deepEqual(startsAt([300, 100], job(3)), [100, 100, 100]);
  assert.deepEqual(startsAt([300, 100], job(1)), [100]);
});

test('a subtask that had ended does not hold it back; one still at the minimum leaves it at the minimum', () => {
  assert.deepEqual(startsAt([null, 200]), [200, 200]);
  assert.deepEqual(startsAt([null, 200], job(3)), [200, 200, 200]);
  assert.deepEqual(startsAt([MIN_WATERMARK, 200]), [undefined, undefined]);
  assert.deepEqual(startsAt([null, null]), [undefined, undefined]);
});

test('not where the uid no longer heads its task (its inputs are another operator\'s now)', () => {
  assert.deepEqual(startsAt([300, 100], job(2, true)), [undefined, undefined]);
});

// Regression: broadcast state was dealt from subtask 0 to every subtask, also at the same parallelism. After an
// unaligned checkpoint the subtasks' differ (each snapshot at its own place in the broadcast stream, its channel
// state holding the rest from there): subtask 0's state with subtask 1's channel state lost or repeated broadcast
// records.
test('broadcast state: each subtask its own at the same parallelism and scaled in, subtask 0\'s to all when scaled out', () => {
  const pack = (x: unknown): Uint8Array => new Packr({ useRecords: true, sequential: true, moreTypes: true }).pack(x);
  const into = (p: number) => job(p);
  const manifest = {
    format: 2, id: 3, kind: 'checkpoint', createdAt: '', maxParallelism: into(2).p.maxParallelism, jobFingerprint: 'x', sources: {},
    operators: { m: { kind: 'map', parallelism: 2, operatorState: { redistribute: 'broadcast', parts: [{ key: 'b0', bytes: 1 }, { key: 'b1', bytes: 1 }] } } },
    taskParallelism: { m: 2 }, keyedEntries: 0, finished: false,
  } as unknown as Manifest;
  const chunks = new Map([['b0', pack([['rules', 'a', 1]])], ['b1', pack([['rules', 'a', 1], ['rules', 'b', 2]])]]);
  for (const [p, want] of [[2, [[['rules', 'a', 1]], [['rules', 'a', 1], ['rules', 'b', 2]]]], [3, [[['rules', 'a', 1]], [['rules', 'a', 1]], [['rules', 'a', 1]]]], [1, [[['rules', 'a', 1]]]]] as const) {
    const j = into(p);
    const r = assignRestore({ manifest, chunks } as never, j.graph, j.p, { allowNonRestoredState: true });
    assert.deepEqual(Array.from({ length: p }, (_, s) => r.subtasks[`${j.task.id}/${s}`]?.operators.m?.operator), want, `at parallelism ${p}`);
  }
});

// restoreSourceSplits: a source whose splits come from its configuration (SourceSpec.restoreSplits) decides, once
// per resume, what its restored splits become.
test('restoreSourceSplits: kept splits stay with their subtask, added ones go to the fewest; notes are warnings naming the source; the stored manifest is untouched', async () => {
  const configured = ['a', 'c', 'd'];
  const spec: SourceSpec<number> = {
    kind: 'test-config', fingerprint: 'x', maxParallelism: 8, bounded: false, rewindable: true,
    enumerateSplits: () => [],
    createReader: () => { throw new Error('not here'); },
    restoreSplits: (restored) => ({
      splits: [...restored.filter((s) => configured.includes(s.id)), ...configured.filter((id) => !restored.some((s) => s.id === id)).map((id) => ({ id, position: 0 }))],
      notes: restored.filter((s) => !configured.includes(s.id)).map((s) => `'${s.id}' is gone`),
    }),
  };
  const env = new StreamEnvironment(2);
  env.fromSource(spec).name('src').uid('u').discard().name('out').uid('out');
  env.graph.validate();
  const splits = ['a', 'b', 'x', 'y'].map((id, i) => ({ id, position: i + 1 }));
  const manifest = {
    format: 2, id: 3, kind: 'savepoint', name: 'sp', createdAt: '', maxParallelism: 128, jobFingerprint: 'x', operators: {}, taskParallelism: {}, keyedEntries: 0, finished: false,
    sources: { u: { kind: 'test-config', splits, perSubtask: [2, 2] } },
  } as unknown as Manifest;
  const warnings: string[] = [];
  const c = await restoreSourceSplits({ manifest, chunks: new Map() }, env.graph, { allowNonRestoredState: false }, (w) => warnings.push(w));
  // Subtask 0 had a, b (keeps a), subtask 1 had x, y (keeps none): c goes to subtask 1, d to subtask 0 (a tie: the first).
  assert.deepEqual(c.manifest.sources['u'], { kind: 'test-config', splits: [{ id: 'a', position: 1 }, { id: 'd', position: 0 }, { id: 'c', position: 0 }], perSubtask: [2, 1] });
  assert.deepEqual(warnings, ["source 'src' (uid 'u'), resumed from checkpoint 3 (savepoint 'sp'): 'b' is gone", "source 'src' (uid 'u'), resumed from checkpoint 3 (savepoint 'sp'): 'x' is gone", "source 'src' (uid 'u'), resumed from checkpoint 3 (savepoint 'sp'): 'y' is gone"]);
  assert.equal(manifest.sources['u']!.splits, splits, 'the loaded manifest is not changed');
  assert.equal(splits.length, 4);
});

test('restoreSourceSplits: restored splits the source cannot read are refused, naming it; allowed, its positions are dropped and said', async () => {
  const spec: SourceSpec<number> = {
    kind: 'test-config', fingerprint: 'x', maxParallelism: 8, bounded: false, rewindable: true,
    enumerateSplits: () => [],
    createReader: () => { throw new Error('not here'); },
    restoreSplits: () => ({ splits: [], incompatible: 'they are of another mode' }),
  };
  const env = new StreamEnvironment(1);
  env.fromSource(spec).name('src').uid('src').discard().name('out').uid('out');
  env.graph.validate();
  const manifest = {
    format: 2, id: 3, kind: 'checkpoint', createdAt: '', maxParallelism: 128, jobFingerprint: 'x', operators: {}, taskParallelism: {}, keyedEntries: 0, finished: false,
    sources: { src: { kind: 'test-config', splits: [{ id: 'a', position: 1 }] } },
  } as unknown as Manifest;
  await assert.rejects(restoreSourceSplits({ manifest, chunks: new Map() }, env.graph, { allowNonRestoredState: false }, () => {}), (e: Error) => e instanceof JobDefinitionError
    && e.message === "checkpoint 3 holds read positions of source 'src' that it cannot resume from: they are of another mode. Give the source another uid, or allow dropping those positions (allowNonRestoredState / --allow-non-restored-state: it then reads from its configured start)");
  const warnings: string[] = [];
  const c = await restoreSourceSplits({ manifest, chunks: new Map() }, env.graph, { allowNonRestoredState: true }, (w) => warnings.push(w));
  assert.deepEqual(c.manifest.sources, {});
  assert.deepEqual(warnings, ["source 'src': they are of another mode; its read positions in checkpoint 3 are dropped (allowNonRestoredState) and it reads from its configured start"]);
});
