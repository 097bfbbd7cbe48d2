// The collect sink's commit, on the main thread: every transaction published once, in the order given, whatever is
// passed again after a restore (a checkpoint's pending transactions, aborted checkpoints' ones among them, and
// end-of-input transactions), while what it remembers stays one number per subtask.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { PreparedTransaction } from '../../../core/connectors/sink.js';
import { collectSink } from '../../../core/connectors/collect-sink.js';

const tx = (subtask: number, checkpointId: number, end?: string): PreparedTransaction =>
  ({ checkpointId, subtask, transaction: [`${subtask}/${checkpointId}${end ?? ''}`], ...(end !== undefined ? { end } : {}) });

test('commits as the coordinator makes them: pending transactions again in later commits, replays after a restore, ends', async () => {
  const sink = collectSink<string>();
  await sink.commit!([tx(0, 1), tx(1, 1)]);
  // Checkpoint 2 aborted: its transactions come with checkpoint 3's, in checkpoint order.
  await sink.commit!([tx(0, 2), tx(1, 2), tx(0, 3), tx(1, 3)]);
  // A snapshot taken before the worker heard checkpoint 3 completed carries its transaction again.
  await sink.commit!([tx(0, 3), tx(0, 4), tx(1, 4)]);
  // A restore of checkpoint 4 publishes its transactions again; then the ends, one passed twice.
  await sink.commit!([tx(0, 4), tx(1, 4)]);
  await sink.commit!([tx(0, -1, 'a'), tx(1, -1, 'b')]);
  await sink.commit!([tx(0, -1, 'a'), tx(0, -1, 'c'), tx(1, -1)]);
  assert.deepEqual(sink.committed(), ['0/1', '1/1', '0/2', '1/2', '0/3', '1/3', '0/4', '1/4', '0/-1a', '1/-1b', '0/-1c', '1/-1']);
});

test('property: any replays of published commits publish nothing twice and lose nothing', async () => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 12 }), fc.array(fc.nat(), { maxLength: 30 }),
    async (subtasks, checkpoints, replays) => {
      const sink = collectSink<string>();
      const commits: PreparedTransaction[][] = [];
      for (let c = 1; c <= checkpoints; c++) commits.push(Array.from({ length: subtasks }, (_, s) => tx(s, c)));
      const expected: string[] = [];
      for (let k = 0; k < commits.length; k++) {
        await sink.commit!(commits[k]!);
        for (const t of commits[k]!) expected.push((t.transaction as string[])[0]!);
        // Replays of commits already made (a restore of that checkpoint), any number of them.
        for (const r of replays.filter((_, i) => i % commits.length === k)) await sink.commit!(commits[r % (k + 1)]!);
      }
      assert.deepEqual(sink.committed(), expected);
    },
  ), { numRuns: 200 });
});

// Without checkpoints: the writer's drains, its end and the main thread's keeping (core/runtime/live-records.ts).
test('untransactional: drained records are not handed back again at the end or on a stop', () => {
  const w = collectSink<number>().createWriter(0, 1);
  w.write(1); w.write(2);
  assert.deepEqual(w.drain!(), [1, 2]);
  assert.equal(w.drain!(), undefined, 'nothing new: nothing to post');
  w.write(3);
  assert.deepEqual(w.finish(), [3]);
  w.write(4);
  assert.deepEqual(w.stopped!(), [4]);
  assert.deepEqual(w.finish(), []);
});

test('untransactional, no reader: what subtasks hand over in any order is kept subtask 0 first, each in its order', () => {
  const sink = collectSink<string>();
  sink.received(1, ['1a']);
  sink.received(0, ['0a', '0b']);
  sink.received(1, ['1b']);
  sink.received(0, ['0c']);
  assert.deepEqual(sink.committed(), [], 'kept until settled');
  sink.settle();
  assert.deepEqual(sink.committed(), ['0a', '0b', '0c', '1a', '1b']);
});

test('untransactional: a reader that comes gets what was kept (subtask 0 first), then later batches as they come', () => {
  const sink = collectSink<string>();
  sink.received(1, ['1a']);
  sink.received(0, ['0a']);
  const got: string[] = [];
  sink.attach({ deliver: (items) => { got.push(...items); } });
  sink.received(1, ['1b']);
  sink.received(0, ['0b']);
  assert.deepEqual(got, ['0a', '1a', '1b', '0b']);
  sink.detach([]);
  sink.received(0, ['0c']);
  sink.settle();
  assert.deepEqual(sink.committed(), ['0c']);
});

// RunOptions.collect 'count' (sluice run): transactions are counts (countingWriter), and nothing is kept.
const counted = (subtask: number, checkpointId: number, n: number, end?: string): PreparedTransaction =>
  ({ checkpointId, subtask, transaction: n, ...(end !== undefined ? { end } : {}) });

test('counting: count transactions add up once each through replays; records restored from a counting-less checkpoint are counted, not kept', async () => {
  const sink = collectSink<string>();
  sink.countOnly();
  // A resume of a checkpoint a run that kept records wrote: its records are counted.
  await sink.commit!([tx(0, 1), tx(1, 1)]);
  await sink.commit!([counted(0, 2, 5), counted(1, 2, 7)]);
  // Replayed (a restore of checkpoint 2), then the ends, one passed twice.
  await sink.commit!([counted(0, 2, 5), counted(1, 2, 7), counted(0, 3, 1)]);
  await sink.commit!([counted(0, -1, 2, 'a'), counted(1, -1, 3, 'b'), counted(0, -1, 2, 'a')]);
  assert.equal(sink.published(), 2 + 12 + 1 + 5);
  assert.deepEqual(sink.committed(), [], 'nothing kept');
});

// Regression: the warning named no sink ("... to a collect sink are not there"), so a job with several left the
// user to guess which results were short.
test("a run that keeps records, resumed from a counting run's checkpoint, says its records are not there, naming each sink that had some", async () => {
  const warned: string[] = [];
  const warnOnce = (): ((key: string, m: string) => void) => {
    const said = new Set<string>();
    return (key, m) => { if (!said.has(key)) { said.add(key); warned.push(m); } };
  };
  const once = warnOnce();
  const context = (sink: string, checkpointId = 4) => ({ checkpointId, sink, stored: [checkpointId], warnOnce: once });
  const out = collectSink<string>();
  const other = collectSink<string>();
  const empty = collectSink<string>();
  await out.commit!([counted(0, 4, 3), counted(1, 4, 0)], context('out'));
  // Replayed (a second restore of the same checkpoint in this run): said once.
  await out.commit!([counted(0, 4, 3), counted(1, 4, 0)], context('out'));
  await other.commit!([counted(0, 4, 0), counted(1, 4, 2)], context('other'));
  // None counted there: nothing of it is missing, nothing said.
  await empty.commit!([counted(0, 4, 0)], context('empty'));
  await out.commit!([tx(0, 5)], context('out', 5));
  assert.deepEqual(out.committed(), ['0/5']);
  assert.equal(out.published(), 4);
  assert.equal(other.published(), 2);
  assert.deepEqual(warned, ['out', 'other'].map((sink) => `checkpoint 4 was written by a run that counted its collect sinks' records (collect: 'count', as sluice run does): the records it publishes again to collect sink '${sink}' are not there to publish (counted only, not in result.collected nor read by handle.output)`));
});
