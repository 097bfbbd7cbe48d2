// A subtask on this thread, with a stand-in input gate (the real one is covered by input-gate.spec.ts and the
// whole-job tests): what `step` reads first, and when a source beside a gate may start a checkpoint.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subtask } from '../../workers/subtask.js';
import type { InputGate } from '../../workers/input-gate.js';
import type { Downstream } from '../../core/operators/operator.js';
import { TaskContext } from '../../core/operators/task-context.js';
import type { InFlightRecord } from '../../core/checkpoint/messages.js';
import { SOURCE_MORE } from '../../core/connectors/source.js';

class Recorder implements Downstream<unknown> {
  readonly values: unknown[] = [];
  push(v: unknown): void { this.values.push(v); }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}

/** A gate whose every pump delivers one new record, then ends after `records` of them. */
function gate(records: number): InputGate {
  let sent = 0;
  return {
    get allEnded() { return sent >= records; },
    pump(heads: Downstream<unknown>[]) {
      if (sent >= records) return 0;
      heads[0]!.push(`new ${sent++}`);
      return 1;
    },
    hasData: () => sent < records,
    abort() {},
  } as unknown as InputGate;
}

// Regression: with more in-flight records than a step's budget, the channels' own records were read before the
// rest of the in-flight ones (and a barrier among them could snapshot while some were not yet in).
test('a restore\'s in-flight records all go in before anything new from the channels', () => {
  const head = new Recorder();
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), head, [], [], [], gate(3), undefined, () => {}, 't', undefined, undefined);
  const replay: InFlightRecord[] = Array.from({ length: 2500 }, (_, i) => ({ input: 0, value: `old ${i}`, timestamp: i }));
  st.setReplay(replay);
  for (let i = 0; i < 10 && st.state === 0; i++) st.step(1024);
  assert.deepEqual(head.values, [...replay.map((r) => r.value), 'new 0', 'new 1', 'new 2']);
});

// Regression (review): a source beside a gate whose channels had all ended started a checkpoint while in-flight
// records of a restore were still waiting: those were then in neither the snapshot nor its channel state.
test('a source beside an ended gate starts a checkpoint only once every in-flight record is in', () => {
  const head = new Recorder();
  const head2 = new Recorder();
  const source = {
    read: () => SOURCE_MORE, // nothing read: a source with no data just now
    ready: () => new Promise<void>(() => {}),
    snapshot: () => [{ id: 'only', position: 7 }],
  };
  const acks: { id: number; replayedBefore: number }[] = [];
  const checkpoints = {
    ack: (id: number) => { acks.push({ id, replayedBefore: head2.values.length }); },
    decline: () => {},
    finished: () => {},
  };
  const control = new Int32Array(4);
  control[0] = 1 << 2; // checkpoint 1 triggered
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), head, [], [], [], gate(0), source as never, () => {}, 't', checkpoints, { control, index: 0 }, head2);
  st.setReplay(Array.from({ length: 2500 }, (_, i) => ({ input: 1, value: `old ${i}`, timestamp: i })));
  st.step(1024);
  assert.deepEqual(acks, [], 'not with 1,476 in-flight records still to go');
  for (let i = 0; i < 5; i++) st.step(1024);
  assert.deepEqual(acks, [{ id: 1, replayedBefore: 2500 }]);
});

// Review: an unaligned checkpoint restored with other chaining routed its in-flight records to a subtask that
// never replays them (a source alone), or into the wrong operator (the head of a source's chain).
test('in-flight records of an input this subtask does not read from channels are a clear error, not dropped', () => {
  const source = { read: () => SOURCE_MORE, ready: () => new Promise<void>(() => {}), snapshot: () => [] };
  const sourceOnly = new Subtask(0, 'src', new TaskContext('src', 0, 1, 128), new Recorder(), [], [], [], undefined, source as never, () => {}, 'src', undefined, undefined);
  assert.throws(() => sourceOnly.setReplay([{ input: 1, value: 'x', timestamp: 0 }]), /chaining changed since it was taken/);
  const chained = new Subtask(0, 'src', new TaskContext('src', 0, 1, 128), new Recorder(), [], [], [], gate(0), source as never, () => {}, 'src', undefined, undefined, new Recorder());
  assert.throws(() => chained.setReplay([{ input: 0, value: 'x', timestamp: 0 }]), /records of input 0/);
  chained.setReplay([{ input: 1, value: 'x', timestamp: 0 }]);
});
