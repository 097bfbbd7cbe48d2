// Runs on: a worker thread of the piscina pool, once per job: the thread's whole life in that job.
//
// Loads the job module (the same one the main thread loaded), rebuilds the graph, checks its fingerprint,
// instantiates only the subtasks placed on this thread, wires them to their rings and runs the task loop.

import { Ring, RingConsumer, RingProducer } from '../shm/ring.js';
import type { Doorbell } from '../shm/doorbell.js';
import { ChannelReader, ChannelWriter } from '../shm/channel.js';
import { waitStrategy } from '../shm/wait-strategy.js';
import { genericCodec } from '../shm/codec/generic.js';
import type { RecordCodec } from '../shm/codec/codec.js';
import { buildGraph } from '../core/api/environment.js';
import { GraphMismatchError, JobCancelledError, OperatorError } from '../core/api/errors.js';
import { firstDifference, type LogicalGraph, type LogicalNode } from '../core/graph/logical-graph.js';
import type { Key } from '../core/graph/key-groups.js';
import type { Downstream, Operator } from '../core/operators/operator.js';
import { FilterOperator, FlatMapOperator, IdentityOperator, MapOperator } from '../core/operators/stateless.js';
import { KeyedProcessOperator, ReduceOperator } from '../core/operators/keyed.js';
import { SinkOperator } from '../core/operators/sink-operator.js';
import { metricsOffsets } from '../core/runtime/metrics.js';
import { signalStop, threadBell } from '../core/runtime/job-control.js';
import type { ThreadAssignment, ThreadResult } from './assignment.js';
import { InputGate } from './input-gate.js';
import { OutputGate } from './output-gate.js';
import { FanOut } from './fan-out.js';
import { Subtask } from './subtask.js';
import { runTaskLoop } from './task-loop.js';

function bellOf(a: ThreadAssignment, thread: number): Doorbell {
  return threadBell(a.control, thread);
}

function codecOf(node: LogicalNode): RecordCodec<unknown> {
  return node.codec ?? genericCodec<unknown>();
}

/** Batch frames only for the generic codec: a typed record has no array form, and costs little per call. */
function batchFor(a: ThreadAssignment, codec: RecordCodec<unknown>): number {
  return codec.kind === 'generic' ? a.options.recordBatch : 1;
}

function threadOf(a: ThreadAssignment, task: number, subtask: number): number {
  return a.plan.placements.find((p) => p.task === task && p.subtask === subtask)!.thread;
}

function buildSubtask(a: ThreadAssignment, graph: LogicalGraph, taskId: number, index: number, bell: Doorbell): Subtask {
  const { plan } = a;
  const task = plan.tasks[taskId]!;
  const nodes = task.nodeIds.map((id) => graph.nodes[id]!);
  const tail = nodes[nodes.length - 1]!;

  const outputs: OutputGate<unknown>[] = [];
  for (const x of plan.exchanges.filter((e) => e.fromTask === taskId)) {
    const consumer = graph.nodes[x.toNode]!;
    const codec = codecOf(tail);
    const batch = batchFor(a, codec);
    const writers = plan.channels
      .filter((c) => c.exchange === x.id && c.fromSubtask === index)
      .sort((p, q) => p.toSubtask - q.toSubtask)
      .map((c) => new ChannelWriter(
        new RingProducer(Ring.attach(a.rings[c.id]!), bellOf(a, threadOf(a, x.toTask, c.toSubtask)), { batchBytes: a.options.batchBytes }),
        codec.encoder(),
        { batches: batch > 1 },
      ));
    const key = consumer.inputs[x.inputIndex]!.key as ((v: unknown) => Key) | undefined;
    outputs.push(new OutputGate(writers, x.partitioner, key, plan.maxParallelism, index, batch));
  }

  const sinks: SinkOperator<unknown>[] = [];
  const operators: Operator<unknown, unknown>[] = [];
  let next: Downstream<unknown> = outputs.length === 1 ? outputs[0]! : new FanOut(outputs);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    const fn = n.fn as never;
    const keyOf = n.inputs[0]?.key as ((v: unknown) => Key);
    let op: Operator<unknown, unknown>;
    switch (n.kind) {
      case 'map': op = new MapOperator(n.name, index, next, fn); break;
      case 'filter': op = new FilterOperator(n.name, index, next, fn); break;
      case 'flatMap': op = new FlatMapOperator(n.name, index, next, fn); break;
      case 'reduce': op = new ReduceOperator(n.name, index, next, keyOf, fn); break;
      case 'process': op = new KeyedProcessOperator(n.name, index, next, keyOf, fn); break;
      case 'sink': {
        const s = new SinkOperator(n.name, index, n.sink!.createWriter(index, task.parallelism));
        sinks.push(s);
        op = s as Operator<unknown, unknown>;
        break;
      }
      case 'union': op = new IdentityOperator(n.name, index, next); break;
      case 'source':
        // Not in the data path: the source pushes straight into the next operator (one call less per record);
        // this instance only holds the source's place in the metrics (Subtask.sourceRecords counts for it).
        op = new IdentityOperator(n.name, index, next);
        operators.unshift(op);
        continue;
    }
    operators.unshift(op);
    next = op;
  }

  const head = nodes[0]!;
  let input: InputGate | undefined;
  if (head.kind !== 'source') {
    const readers: ChannelReader<unknown>[] = [];
    for (const x of plan.exchanges.filter((e) => e.toTask === taskId)) {
      const codec = codecOf(graph.nodes[x.fromNode]!);
      const batches = batchFor(a, codec) > 1;
      for (const c of plan.channels.filter((ch) => ch.exchange === x.id && ch.toSubtask === index)) {
        readers.push(new ChannelReader(
          new RingConsumer(Ring.attach(a.rings[c.id]!), bell, { batchBytes: a.options.batchBytes, producerBell: bellOf(a, threadOf(a, x.fromTask, c.fromSubtask)) }),
          codec.decoder(),
          { batches },
        ));
      }
    }
    input = new InputGate(readers);
  }
  const source = head.source?.createReader(index, task.parallelism);
  return new Subtask(task.name, index, next, operators, outputs, sinks, input, source, () => bell.ringAlways(), head.name);
}

export default async function runThread(a: ThreadAssignment): Promise<ThreadResult> {
  const result: ThreadResult = { thread: a.thread, sinks: [], stopped: false };
  let subtasks: Subtask[] = [];
  try {
    const graph = buildGraph(await import(a.jobUrl), a.parallelism, a.jobUrl);
    const diff = firstDifference(a.fingerprints, graph.nodeFingerprints());
    if (diff) throw new GraphMismatchError(`worker thread ${a.thread} built a different graph from the job module: ${diff}. A job module must build the same graph every time it is loaded (no random or time-dependent input).`);
    const bell = bellOf(a, a.thread);
    const mine = a.plan.placements.map((p, i) => ({ p, i })).filter(({ p }) => p.thread === a.thread);
    subtasks = mine.map(({ p }) => buildSubtask(a, graph, p.task, p.subtask, bell));
    const offsets = metricsOffsets(a.plan);
    await runTaskLoop(subtasks, bell, new Int32Array(a.control), new Float64Array(a.metrics), mine.map(({ i }) => offsets[i]!), {
      budget: a.options.budget,
      bufferTimeoutMs: a.options.bufferTimeoutMs,
      yieldEveryMs: 20,
      wait: waitStrategy({ mode: 'async', spin: a.options.spin, parkTimeoutMs: a.options.parkTimeoutMs }),
    });
    for (const st of subtasks) {
      for (const s of st.sinks) result.sinks.push({ node: graph.nodes.findIndex((n) => n.name === s.name), subtask: st.index, result: s.result });
    }
  } catch (e) {
    if (e instanceof JobCancelledError) {
      result.stopped = true;
    } else {
      // Stop every thread at once: the first failure must not wait for the main thread's round trip.
      signalStop(a.control, a.plan.threads);
      const err = e instanceof Error ? e : new Error(String(e));
      result.error = {
        name: err.name, message: err.message, stack: err.stack,
        operator: e instanceof OperatorError ? e.operator : undefined,
        subtask: e instanceof OperatorError ? e.subtask : undefined,
      };
    }
  } finally {
    // Every source gets closed, whatever another one's close does.
    await Promise.allSettled(subtasks.map(async (st) => st.source?.close?.()));
  }
  return result;
}
