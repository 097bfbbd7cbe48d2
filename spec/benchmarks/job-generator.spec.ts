// The checksum sink of the whole-job benchmarks: without checkpoints each subtask returns its totals; with them,
// the totals of committed transactions add up per subtask, each transaction counted once however often it is
// published (a restore publishes the restored checkpoint's again).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addTotals, checksumSink, type ChecksumSinkResult } from '../../benchmarks/job-generator.js';

const hash = (x: number): number => Math.imul(x, 0x9e37_79b1);

test('checksumSink folds rows and checksum per subtask, and its committed transactions count once each', () => {
  const plain = checksumSink(hash, 'plain').createWriter(0, 1);
  for (const x of [1, 2, 3]) plain.write(x);
  const [whole] = plain.finish() as ChecksumSinkResult[];
  assert.equal(whole!.rows, 3);
  assert.equal(whole!.checksum, (hash(1) + hash(2) + hash(3)) | 0);
  assert.ok(Number.isFinite(whole!.firstAt));

  const spec = checksumSink(hash, 'tx');
  const writers = [spec.createWriter(0, 2), spec.createWriter(1, 2)];
  writers[0]!.write(1);
  writers[1]!.write(2);
  const t1 = [0, 1].map((s) => ({ checkpointId: 1, subtask: s, transaction: writers[s]!.prepareCommit!(1) }));
  writers[0]!.write(3);
  const t2 = [0, 1].map((s) => ({ checkpointId: -1, subtask: s, transaction: writers[s]!.prepareCommit!(-1) }));
  spec.commit!(t1);
  spec.commit!([...t1, ...t2]); // checkpoint 1 again, as after a restore
  const parts = spec.committed();
  assert.deepEqual(parts.map((p) => p.rows), [2, 1]);
  assert.deepEqual(addTotals(parts), addTotals([whole!]));
  // Nothing is left for finish once everything was prepared.
  assert.equal((writers[0]!.finish() as ChecksumSinkResult[])[0]!.rows, 0);
});
