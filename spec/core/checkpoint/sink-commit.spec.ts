// The second phase of the sinks' two-phase commit: the transactions a completed checkpoint's manifest holds (one
// chunk of pending transactions per sink subtask) reach each sink's `commit` in checkpoint order, end-of-input
// ones last, subtask by subtask; and whether the checkpoint published anything, which decides the PUBLISHED mark.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { publishSinkTransactions, recoverOrphans } from '../../../core/checkpoint/sink-commit.js';
import { CorruptCheckpointError, type ChunkRef, type Manifest } from '../../../core/checkpoint/manifest.js';
import type { PreparedTransaction, SinkSpec } from '../../../core/connectors/sink.js';
import { collectSink } from '../../../core/connectors/collect-sink.js';
import { SinkCommitError } from '../../../core/connectors/errors.js';

// As the coordinator packs operator state.
const pack = (items: unknown[]): Uint8Array => new Packr({ useRecords: true, sequential: true, moreTypes: true }).pack(items);

// Rest parameter, not a default: an explicit undefined transaction must stay undefined.
const tx = (subtask: number, checkpointId: number, ...transaction: unknown[]): PreparedTransaction =>
  ({ checkpointId, subtask, transaction: transaction.length > 0 ? transaction[0] : [`${subtask}@${checkpointId}`] });

async function withStore(fn: (store: CheckpointStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-sink-commit-'));
  const store = await CheckpointStore.open(dir);
  try {
    await fn(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Stores each sink's parts (one list of pending transactions per subtask, null: nothing) and names them in a manifest. */
async function manifest(store: CheckpointStore, id: number, sinks: Record<string, (PreparedTransaction[] | null)[]>): Promise<Manifest> {
  const operators: Record<string, unknown> = {};
  for (const [uid, parts] of Object.entries(sinks)) {
    const refs: (ChunkRef | null)[] = [];
    for (let s = 0; s < parts.length; s++) refs.push(parts[s] === null ? null : await store.putChunk(`o/${id}/${uid}/${s}`, pack(parts[s]!)));
    operators[uid] = { name: uid, kind: 'sink', parallelism: parts.length, operatorState: { redistribute: 'split', parts: refs } };
  }
  return { id, operators } as unknown as Manifest;
}

/** A sink that records what each commit call was given. */
function recording(extra: Partial<SinkSpec<unknown>> = {}): SinkSpec<unknown> & { calls: PreparedTransaction[][] } {
  const calls: PreparedTransaction[][] = [];
  return {
    kind: 'test',
    fingerprint: 'test',
    createWriter: () => { throw new Error('not used'); },
    commit: (t) => { calls.push(t); },
    calls,
    ...extra,
  };
}

const ids = (ts: PreparedTransaction[]): string[] => ts.map((t) => `${t.subtask}@${t.checkpointId}`);

test('transactions are committed in checkpoint order, subtask by subtask, end-of-input (-1) ones after every checkpoint', async () => {
  await withStore(async (store) => {
    // Each subtask's part lists its pending transactions in its own order: an aborted checkpoint's (2) with the
    // completed one's, an end after them; parts come in subtask order, which is not checkpoint order.
    const m = await manifest(store, 3, {
      sink: [
        [tx(0, 2), tx(0, 3), tx(0, -1)],
        [tx(1, -1), tx(1, 3), tx(1, 2)],
        [tx(2, 3)],
      ],
    });
    const sink = recording();
    await publishSinkTransactions(store, m, new Map([['sink', sink]]));
    assert.equal(sink.calls.length, 1, 'one commit per sink');
    assert.deepEqual(ids(sink.calls[0]!), ['0@2', '1@2', '0@3', '1@3', '2@3', '0@-1', '1@-1']);
    // The transactions themselves come back as they were packed.
    assert.deepEqual(sink.calls[0]![0], tx(0, 2));
  });
});

test('an end-of-input transaction of a low subtask still comes after a checkpoint transaction of a higher one', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 9, { sink: [[tx(0, -1)], [tx(1, 9)], [tx(2, -1), tx(2, 8)]] });
    const sink = recording();
    await publishSinkTransactions(store, m, new Map([['sink', sink]]));
    assert.deepEqual(ids(sink.calls[0]!), ['2@8', '1@9', '0@-1', '2@-1']);
  });
});

test('within a checkpoint, by the subtask that prepared each transaction, not by the part that carries it', async () => {
  await withStore(async (store) => {
    // After a rescale from 3 to 1 subtask, the one part holds the old subtasks' pending transactions, dealt
    // round-robin, in no particular order.
    const m = await manifest(store, 5, { sink: [[tx(2, 4), tx(0, 5), tx(1, 4), tx(2, -1), tx(0, 4), tx(1, -1)]] });
    const sink = recording();
    await publishSinkTransactions(store, m, new Map([['sink', sink]]));
    assert.deepEqual(ids(sink.calls[0]!), ['0@4', '1@4', '2@4', '0@5', '1@-1', '2@-1']);
  });
});

test('a subtask without a part (null) is skipped; a sink with no parts in the manifest or no commit is not called', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 4, { a: [null, [tx(1, 4)], null], b: [null, null] });
    const a = recording();
    const b = recording();
    const absent = recording();
    const noCommit = recording({ commit: undefined });
    const published = await publishSinkTransactions(store, m, new Map<string, SinkSpec<unknown>>([['a', a], ['b', b], ['absent', absent], ['noCommit', noCommit]]));
    assert.deepEqual(ids(a.calls[0]!), ['1@4']);
    // A sink whose parts are all null has nothing pending: it is still called (with no transactions), and
    // publishes nothing.
    assert.deepEqual(b.calls, [[]]);
    assert.deepEqual(absent.calls, [], 'not in the manifest: never called');
    assert.equal(published, true);
  });
});

test('published: by default any transaction but undefined, null or an empty array', async () => {
  await withStore(async (store) => {
    for (const [transaction, expected] of [
      [undefined, false], [null, false], [[], false],
      [[1], true], [0, true], ['', true], [{}, true], [false, true],
    ] as const) {
      const m = await manifest(store, 1, { sink: [[tx(0, 1, transaction)]] });
      assert.equal(await publishSinkTransactions(store, m, new Map([['sink', recording()]])), expected, `transaction ${JSON.stringify(transaction)}`);
    }
    // One non-empty transaction among empty ones is enough.
    const m = await manifest(store, 2, { sink: [[tx(0, 2, [])], [tx(1, 2, null)], [tx(2, 2, ['x'])]] });
    assert.equal(await publishSinkTransactions(store, m, new Map([['sink', recording()]])), true);
  });
});

test('published: a sink\'s `publishes` decides instead of the default, for each transaction', async () => {
  await withStore(async (store) => {
    // A file sink's transaction that only records an open part's length is not empty, but publishes nothing.
    const seen: unknown[] = [];
    const onlyClosed = recording({ publishes: (t) => { seen.push(t); return (t as { closed: number }).closed > 0; } });
    const open = await manifest(store, 1, { sink: [[tx(0, 1, { closed: 0 })], [tx(1, 1, { closed: 0 })]] });
    assert.equal(await publishSinkTransactions(store, open, new Map([['sink', onlyClosed]])), false);
    assert.deepEqual(seen, [{ closed: 0 }, { closed: 0 }], 'asked about every transaction');
    const closed = await manifest(store, 2, { sink: [[tx(0, 2, { closed: 0 })], [tx(1, 2, { closed: 3 })]] });
    assert.equal(await publishSinkTransactions(store, closed, new Map([['sink', onlyClosed]])), true);
    // And the other way round: an empty transaction that the sink says is visible output.
    const always = recording({ publishes: () => true });
    const empty = await manifest(store, 3, { sink: [[tx(0, 3, [])]] });
    assert.equal(await publishSinkTransactions(store, empty, new Map([['sink', always]])), true);
  });
});

test('a collect sink is committed but never counts as published; another sink beside it does', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 5, { collect: [[tx(0, 5, ['a', 'b'])], [tx(1, 5, ['c'])]], other: [[tx(0, 5, [])]] });
    const collect = collectSink<unknown>();
    assert.equal(await publishSinkTransactions(store, m, new Map<string, SinkSpec<unknown>>([['collect', collect], ['other', recording()]])), false);
    // Committed all the same: its records are in the result.
    assert.deepEqual(collect.committed(), ['a', 'b', 'c']);
    const withOutput = await manifest(store, 6, { collect: [[tx(0, 6, ['d'])]], other: [[tx(0, 6, ['x'])]] });
    assert.equal(await publishSinkTransactions(store, withOutput, new Map<string, SinkSpec<unknown>>([['collect', collect], ['other', recording()]])), true);
  });
});

test('every sink is committed even once an earlier one has published', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 7, { first: [[tx(0, 7, ['x'])]], second: [[tx(0, 7, ['y'])]] });
    const first = recording();
    const second = recording();
    assert.equal(await publishSinkTransactions(store, m, new Map([['first', first], ['second', second]])), true);
    assert.equal(second.calls.length, 1);
  });
});

test('a damaged part fails with CorruptCheckpointError before its sink is committed', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 8, { sink: [[tx(0, 8)]] });
    const ref = m.operators['sink']!.operatorState!.parts[0]!;
    // Same length, other bytes: only the checksum tells.
    await store.putChunk(ref.key, pack([tx(0, 9, ['0@8'])]));
    const sink = recording();
    await assert.rejects(publishSinkTransactions(store, m, new Map([['sink', sink]])), CorruptCheckpointError);
    assert.deepEqual(sink.calls, []);
  });
});

// Regression (the embedding trial): a custom sink's commit that threw failed the job with its bare Error, naming
// neither the sink nor the checkpoint.
test('a sink whose commit fails fails the publication with a SinkCommitError naming the sink, its kind and the checkpoint; the cause is what it threw', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 9, { sink: [[tx(0, 9)]] });
    const thrown = new Error('broker down');
    const sink = recording({ commit: async () => { throw thrown; } });
    await assert.rejects(publishSinkTransactions(store, m, new Map([['sink', sink]])), (e: unknown) => e instanceof SinkCommitError
      && e.code === 'SINK_COMMIT_FAILED' && e.cause === thrown
      && e.message === "sink 'sink' (test): publishing checkpoint 9's transactions failed: broker down");
  });
});

// Regression: a sink's publishes that threw failed the publication with its bare Error, as commit did.
test('a sink whose publishes throws fails the publication with a SinkCommitError naming the sink, its kind and publishes; nothing is committed', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 4, { sink: [[tx(0, 4)]] });
    const thrown = new Error('cannot tell');
    const sink = recording({ publishes: () => { throw thrown; } });
    await assert.rejects(publishSinkTransactions(store, m, new Map([['sink', sink]])), (e: unknown) => e instanceof SinkCommitError
      && e.cause === thrown && e.message === "sink 'sink' (test): publishes failed: cannot tell");
    assert.equal(sink.calls.length, 0);
  });
});

// Regression: recover([]) (a restart with no checkpoint, or a fresh run over an earlier one's leftovers) that threw
// failed the run with its bare Error.
test('a sink whose recover throws with no checkpoint to restore fails with a SinkCommitError naming the sink and recover', async () => {
  const thrown = new Error('disk gone');
  const given: unknown[] = [];
  const sink = recording({ recover: (t) => { given.push(t); throw thrown; } });
  await assert.rejects(recoverOrphans('out', sink), (e: unknown) => e instanceof SinkCommitError && e.cause === thrown
    && e.message === "sink 'out' (test): recover (clearing what an earlier attempt left, with no checkpoint to restore) failed: disk gone");
  assert.deepEqual(given, [[]]);
});

test('commit is told the checkpoint, its sink, the ids still in the state directory (this one among them) and the run\'s warnOnce', async () => {
  await withStore(async (store) => {
    const m = await manifest(store, 7, { first: [[tx(0, 7)]], second: [[tx(0, 7)]] });
    const contexts: unknown[] = [];
    const sink = (): ReturnType<typeof recording> => recording({ commit: (_t, context) => { contexts.push(context); } });
    const warnOnce = (): void => {};
    await publishSinkTransactions(store, m, new Map([['first', sink()], ['second', sink()]]), undefined, warnOnce);
    // Each its own (a warning names the sink it is about).
    assert.deepEqual(contexts, [{ checkpointId: 7, sink: 'first', stored: [7], warnOnce }, { checkpointId: 7, sink: 'second', stored: [7], warnOnce }]);
  });
});
