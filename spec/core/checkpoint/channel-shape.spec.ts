// Where an unaligned checkpoint's in-flight records were going (core/checkpoint/channel-shape.ts), and the restore
// that renumbers them for a changed job (restore.ts): records on an input go to the input that still reads every
// exchange theirs read (a union that gained a stream keeps them); one whose exchanges changed partitioning is
// refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { plan } from '../../../core/graph/physical-plan.js';
import { channelShape } from '../../../core/checkpoint/channel-shape.js';
import { assignRestore } from '../../../core/checkpoint/restore.js';
import type { Manifest } from '../../../core/checkpoint/manifest.js';

/** Two (or three) collections unioned, keyed (or rebalanced) into map 'm'. */
function job(o: { extra?: boolean; rebalance?: boolean } = {}) {
  const env = new StreamEnvironment(1);
  const a = env.fromCollection([1, 2]).name('a').uid('a');
  const b = env.fromCollection([3, 4]).name('b').uid('b');
  const u = o.extra ? a.union(b, env.fromCollection([5, 6]).name('c').uid('c')) : a.union(b);
  (o.rebalance ? u.rebalance() : u.keyBy((x) => x % 2)).map((x: number) => x).name('m').uid('m').discard().name('out').uid('out');
  env.graph.validate();
  const p = plan(env.graph, { chaining: true, threads: 1 });
  const t = p.tasks.find((x) => x.name.startsWith('m'))!;
  return { graph: env.graph, p, t };
}

/** A manifest of `before` holding one record in flight on the map's input. */
function checkpoint(before: ReturnType<typeof job>) {
  const head = 'm';
  const packr = new Packr({ useRecords: true, sequential: true, moreTypes: true });
  const taskParallelism = Object.fromEntries(before.p.tasks.map((t) => { const n = before.graph.nodes[t.nodeIds[0]!]!; return [n.uid ?? n.name, t.parallelism]; }));
  const manifest = {
    format: 1, id: 7, kind: 'checkpoint', createdAt: '', maxParallelism: before.p.maxParallelism, jobFingerprint: 'x', operators: {}, sources: {},
    inFlight: { [`${head}/0`]: { key: 'r', bytes: 1 } }, channels: { [head]: channelShape(before.graph, before.p, before.t.id) }, taskParallelism, keyedEntries: 0, finished: false,
  } as unknown as Manifest;
  return { manifest, chunks: new Map([['r', packr.pack([{ input: 0, value: 1, timestamp: 1 }])]]) };
}

test('the exchanges an input reads are recorded one by one', () => {
  const { graph, p, t } = job();
  assert.deepEqual(channelShape(graph, p, t.id).inputs, [['a hash', 'b hash']]);
});

// Regression: the exchanges of an input were one string, so a union that
// gained a stream refused records in flight through exchanges it still has.
test('records in flight on an input restore into the same job and into one whose union gained a stream', () => {
  const c = checkpoint(job());
  for (const into of [job(), job({ extra: true })]) {
    const r = assignRestore(c, into.graph, into.p, { allowNonRestoredState: true });
    const records = Object.values(r.subtasks).flatMap((s) => s.inFlight ?? []);
    assert.deepEqual(records.map((x) => x.input), [0]);
  }
});

test('records in flight on an input whose partitioning changed are refused, naming the exchanges', () => {
  const c = checkpoint(job());
  const into = job({ rebalance: true });
  assert.throws(() => assignRestore(c, into.graph, into.p, { allowNonRestoredState: true }),
    /is an unaligned checkpoint holding records of 'm' \(subtask 0\) in flight through 'a hash, b hash', which this job does not have/);
});
