// Subtask.hasWork, the task loop's busy-time check: work it could do now (input, and room for output), found by
// loads alone. Unlike canProgress it drains nothing: asked twice per subtask and round, a drain there would move
// records outside any step.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Subtask } from '../../workers/subtask.js';
import type { InputGate } from '../../workers/input-gate.js';
import type { Downstream } from '../../core/operators/operator.js';
import { TaskContext } from '../../core/operators/task-context.js';
import { OutputGate } from '../../workers/output-gate.js';
import { Ring, RingConsumer, RingProducer } from '../../shm/ring.js';
import { ChannelReader, ChannelWriter, RECORD } from '../../shm/channel.js';
import { genericCodec } from '../../shm/codec/generic.js';
import { Recorder } from '../support/recorder.js';

/** A stand-in gate holding `available` records now; never ends. */
function gate(): InputGate & { available: number } {
  const g = {
    available: 0,
    get allEnded() { return false; },
    pump(heads: Downstream<unknown>[], max: number, stop: () => boolean) {
      let n = 0;
      while (n < max && g.available > 0 && !stop()) { heads[0]!.push('x'.repeat(100)); g.available--; n++; }
      return n;
    },
    hasData: () => g.available > 0,
    abort() {},
    channelTimes: () => undefined,
    wire() {},
  };
  return g as unknown as InputGate & { available: number };
}

test('hasWork: input waiting is work, an empty input is none', () => {
  const input = gate();
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), new Recorder(), [], [], [], input, undefined, () => {}, 't', undefined, undefined);
  assert.equal(st.hasWork(performance.now(), Date.now()), false);
  input.available = 3;
  assert.equal(st.hasWork(performance.now(), Date.now()), true);
  st.step(1024);
  assert.equal(input.available, 0);
  assert.equal(st.hasWork(performance.now(), Date.now()), false);
});

test('hasWork: a full output is none, and it drains nothing once the consumer has freed room (canProgress does)', () => {
  const ctx = new TaskContext('t', 0, 1, 128);
  const codec = genericCodec<unknown>();
  const ring = Ring.create(1 << 12);
  const out = new OutputGate<unknown>(ctx, [new ChannelWriter(new RingProducer(ring), codec.encoder())], 'forward', undefined, 128, 0);
  const reader = new ChannelReader(new RingConsumer(ring), codec.decoder());
  const input = gate();
  input.available = 1000;
  const st = new Subtask(0, 't', ctx, out, [], [out], [], input, undefined, () => {}, 't', undefined, undefined);
  st.step(1024);
  assert.ok(st.blocked() && input.available > 0, `the ring filled with input left (${input.available})`);
  assert.equal(st.hasWork(performance.now(), Date.now()), false, 'blocked: backpressured, not busy');
  let read = 0;
  while (reader.poll() === RECORD) read++;
  assert.ok(read > 0, 'the consumer freed room');
  const drained = out.drained;
  assert.equal(st.hasWork(performance.now(), Date.now()), false);
  assert.equal(out.drained, drained, 'nothing drained');
  assert.ok(st.blocked());
  // The contrast: the parking re-check drains into the freed room.
  assert.equal(st.canProgress(), true);
  assert.ok(out.drained > drained);
});

// Regression (review): a step that fired the due processing-time timers left the next time as it was before them,
// so hasWork found them still due: busy through the neighbours' steps and the round's gap, for a step that then
// did nothing.
test('hasWork: after a step fired the due processing-time timers, none are due', () => {
  let next = Date.now() - 1;
  let fired = 0;
  const op = { nextProcessingTime: () => next, onProcessingTime: (now: number) => { fired++; next = now + 60_000; } };
  const st = new Subtask(0, 't', new TaskContext('t', 0, 1, 128), new Recorder(), [{ uid: 'p', op: op as never }], [], [], gate(), undefined, () => {}, 't', undefined, undefined);
  assert.equal(st.step(1024), 1, 'the step fires the due timer');
  assert.equal(fired, 1);
  assert.equal(st.hasWork(performance.now(), Date.now()), false, 'nothing is due after the firing');
  assert.equal(st.step(1024), 0, 'and the next step does nothing');
});
