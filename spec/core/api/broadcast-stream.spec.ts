// Broadcast streams at build time: `broadcast(descriptor)` for a broadcast process function with broadcast state,
// and `broadcast()`, a stream like any other that connect() also takes as a broadcast input with no broadcast state.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StreamEnvironment } from '../../../core/api/environment.js';
import { JobDefinitionError } from '../../../core/api/errors.js';
import { MapStateDescriptor } from '../../../core/api/broadcast-state.js';
import { ConnectedBroadcastStreams, KeyedConnectedBroadcastStreams } from '../../../core/api/broadcast-stream.js';
import { BroadcastDataStream } from '../../../core/api/data-stream.js';
import type { LogicalNode } from '../../../core/graph/logical-graph.js';

const fn = { processElement() {}, processBroadcastElement() {} };

test('connect(rules.broadcast()).process: a broadcast process operator with no broadcast state, plain or keyed', () => {
  const env = new StreamEnvironment(2);
  const rules = env.fromCollection([1]).name('rules').broadcast();
  assert.ok(rules instanceof BroadcastDataStream);
  const readings = env.fromCollection(['a']).name('readings');
  const connected = readings.connect(rules);
  assert.ok(connected instanceof ConnectedBroadcastStreams);
  const plain = connected.process<string>(fn).name('plain').node;
  assert.equal(plain.kind, 'broadcastProcess');
  assert.deepEqual(plain.inputs.map((e) => [env.graph.nodes[e.from]!.name, e.partitioner]), [['readings', 'forward'], ['rules', 'broadcast']]);
  assert.deepEqual(plain.spec, { kind: 'broadcastProcess', states: [] });
  assert.equal(plain.specFingerprint, 'broadcast()');
  const keyedConnected = readings.keyBy((s) => s).connect(rules);
  assert.ok(keyedConnected instanceof KeyedConnectedBroadcastStreams);
  const keyed = keyedConnected.process<string>(fn).name('keyed').node;
  assert.deepEqual(keyed.inputs.map((e) => e.partitioner), ['hash', 'broadcast']);
  assert.deepEqual(keyed.spec, { kind: 'broadcastProcess', states: [] });
});

test('rules.broadcast() stays a stream: an operator after it reads every record, and connect(...) still co-maps', () => {
  const env = new StreamEnvironment(2);
  const rules = env.fromCollection([1]).name('rules').broadcast();
  const copy = rules.map((x) => x + 1).name('copy').node;
  assert.deepEqual(copy.inputs.map((e) => e.partitioner), ['broadcast']);
  const both = env.fromCollection(['a']).name('readings').connect(rules).map((s) => s, (n) => String(n)).name('both').node;
  assert.equal(both.kind, 'union');
  const [one, two] = both.coFunctions! as [LogicalNode, LogicalNode];
  assert.deepEqual([one.inputs[0]!.partitioner, two.inputs[0]!.partitioner], ['forward', 'broadcast']);
});

test('connect(rules.broadcast()).process refuses a function without both callbacks, and a broadcast stream of another job', () => {
  const env = new StreamEnvironment(1);
  const rules = env.fromCollection([1]).broadcast();
  const readings = env.fromCollection(['a']);
  assert.throws(() => readings.connect(rules).process({ processElement() {} } as never), (e: Error) => e instanceof JobDefinitionError && /expected an object with processElement and processBroadcastElement/.test(e.message));
  const other = new StreamEnvironment(1).fromCollection([1]).name('elsewhere').broadcast();
  assert.throws(() => readings.connect(other), JobDefinitionError);
  assert.throws(() => readings.keyBy((s) => s).connect(other), JobDefinitionError);
  // With descriptors it is the broadcast stream it was.
  assert.equal(env.fromCollection([1]).broadcast(new MapStateDescriptor<number, number>('m')) instanceof BroadcastDataStream, false);
});
