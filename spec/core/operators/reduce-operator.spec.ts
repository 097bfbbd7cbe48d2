// The rolling reduce operator on one thread: a key's accumulator rolls on, survives a snapshot, is held as typed
// state with a state schema (KeySlots with the fast paths on, a Map with them off); user errors name the operator.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReduceOperator } from '../../../core/operators/reduce-operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import { OperatorError } from '../../../core/api/errors.js';
import { stateSchemaFields } from '../../../core/state/typed-state-table.js';
import type { KeySlots } from '../../../core/state/key-slots.js';
import { recordSchema } from '../../../core/index.js';
import { Recorder } from '../windows/harness.js';

interface Ev { k: string; ts: number }

describe('ReduceOperator', () => {
  // stateFastPaths for typed state (for timers: keyed-process-operator.spec.ts): a typed state table files int32 keys
  // in its own hash table (KeySlots) with it on, every key in a Map with it off. The two give the same results, so
  // only the table itself shows the switch.
  test('the task context\'s stateFastPaths reaches typed state: int32 keys in KeySlots with it on, in a Map with it off', () => {
    for (const on of [true, false]) {
      const ctx = new TaskContext('t', 0, 1, 128);
      ctx.stateFastPaths = on;
      const sink = new Recorder<{ k: number; n: number }>(ctx);
      const op = new ReduceOperator<{ k: number; n: number }>('sum', ctx, sink, (e) => e.k, (a, b) => ({ k: a.k, n: a.n + b.n }), false,
        stateSchemaFields(recordSchema({ k: 'i32', n: 'i32' }), 'test'));
      for (const k of [1, 2, 1]) op.push({ k, n: 1 });
      const slots = (op.backend.typedTable<unknown>('reduce', stateSchemaFields(recordSchema({ k: 'i32', n: 'i32' }), 'test'), 'test') as unknown as { slots: KeySlots }).slots;
      assert.equal(slots.fast, on);
      // Where the keys are: KeySlots' int table, or its Map of other keys.
      assert.equal((slots as unknown as { other: Map<unknown, number> }).other.size, on ? 0 : 2);
    }
  });

  test('rolls per key, and its accumulators survive a snapshot', () => {
    const ctx = new TaskContext('t', 0, 1, 128);
    const sink = new Recorder<Ev>(ctx);
    const op = new ReduceOperator<Ev>('sum', ctx, sink, (e) => e.k, (a, b) => ({ k: a.k, ts: a.ts + b.ts }), true);
    for (const e of [{ k: 'a', ts: 1 }, { k: 'b', ts: 2 }, { k: 'a', ts: 3 }]) op.push(e);
    assert.deepEqual(sink.values().map((v) => v.ts), [1, 2, 4]);
    const snap = op.snapshotState(1, false);
    const op2 = new ReduceOperator<Ev>('sum', ctx, sink, (e) => e.k, (a, b) => ({ k: a.k, ts: a.ts + b.ts }), true);
    op2.restoreState({ keyed: snap.keyed!, operator: [] });
    op2.push({ k: 'a', ts: 10 });
    assert.equal(sink.values().at(-1)!.ts, 14);
  });

  test('a reduce function that returns a promise fails at the key\'s second record, naming the operator', async () => {
    const ctx = new TaskContext('t', 0, 1, 128);
    const sink = new Recorder<Ev>(ctx);
    const op = new ReduceOperator<Ev>('sum', ctx, sink, (e) => e.k, (async (a: Ev, b: Ev) => ({ k: a.k, ts: a.ts + b.ts })) as unknown as (a: Ev, b: Ev) => Ev, true);
    op.push({ k: 'a', ts: 1 });
    assert.throws(() => op.push({ k: 'a', ts: 2 }), (e: unknown) => e instanceof OperatorError && /operator 'sum' \(subtask 0\) failed: its reduce function returned a promise, but it runs synchronously \(what it returns is kept as the state\)/.test((e as Error).message));
    assert.equal(sink.records.length, 1, 'the promise went nowhere');
    await Promise.resolve();
  });

  // Regression: with a state schema, a key's first result was the raw record (fields the schema drops,
  // an f32 not rounded) while every later one came from the typed state.
  test('with a state schema, a key\'s first result is as the state holds it, like every later one', () => {
    const ctx = new TaskContext('t', 0, 1, 128);
    type R = { k: string; n: number; f: number; name?: string };
    const sink = new Recorder<R>(ctx);
    const op = new ReduceOperator<R>('sum', ctx, sink, (e) => e.k, (a, b) => ({ ...a, n: a.n + b.n }), false,
      stateSchemaFields(recordSchema({ k: 'string', n: 'i32', f: 'f32' }), 'test'));
    op.push({ k: 'a', n: 1, f: 0.1, name: 'alice' });
    op.push({ k: 'a', n: 2, f: 0.1, name: 'alice' });
    assert.deepEqual(sink.values(), [{ k: 'a', n: 1, f: Math.fround(0.1) }, { k: 'a', n: 3, f: Math.fround(0.1) }]);
  });
});
