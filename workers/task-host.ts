// Runs on: a worker thread of the piscina pool, once per job: the thread's whole life in that job.
//
// Loads the job module (the same one the main thread loaded), rebuilds the graph, checks its fingerprint,
// instantiates only the subtasks placed on this thread, wires them to their rings, restores their state when the
// job resumes from a checkpoint, and runs the task loop.

import { BARRIER_LANE_BYTES, Ring, RingConsumer, RingProducer } from '../shm/ring.js';
import type { Doorbell } from '../shm/doorbell.js';
import { ChannelReader, ChannelWriter } from '../shm/channel.js';
import { waitStrategy } from '../shm/wait-strategy.js';
import { genericCodec } from '../shm/codec/generic.js';
import type { RecordCodec, RecordDecoder, RecordEncoder } from '../shm/codec/codec.js';
import { JOB_CHECKPOINT_TRIGGER, OUTPUT_FLOW_SLOTS, OUTPUT_HOLD_SLOTS, OUTPUT_HOLD_TAKEN, jobLoopTurns } from '../shm/layout.js';
import { buildGraph } from '../core/api/environment.js';
import { GraphMismatchError, JobCancelledError, OperatorError, RecordRejectedError } from '../core/api/errors.js';
import { firstDifference, TWO_INPUT_KINDS, type LogicalGraph, type LogicalNode } from '../core/graph/logical-graph.js';
import { onErrorTarget } from '../core/graph/on-error-target.js';
import { inputNumbering } from '../core/checkpoint/channel-shape.js';
import { holdsRecords, type Downstream, type Operator } from '../core/operators/operator.js';
import { DEAD_LETTER_PREVIEW, DEAD_LETTERS_ID, truncatedDeadLetter, type DeadLetter } from '../core/api/dead-letters.js';
import { SinkOperator } from '../core/operators/sink-operator.js';
import { CountedSinkOperator } from '../core/operators/counted-sink-operator.js';
import { asCollectSink } from '../core/connectors/collect-sink.js';
import { countingWriter } from '../core/connectors/collect-count-writer.js';
import { heldBySinks } from '../core/runtime/output-hold.js';
import { LiveSinkOperator } from '../core/operators/live-sink-operator.js';
import { BroadcastProcessOperator } from '../core/operators/broadcast-process.js';
import { ProcessOperator } from '../core/operators/process-operator.js';
import { KeyedProcessOperator } from '../core/operators/keyed-process-operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { createOperator, type HasSideOutputs, type TwoInputOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import { SourceAlignment } from '../core/time/watermark-alignment.js';
import { TimestampsOperator } from '../core/time/timestamps-operator.js';
import { SplitTimestampsOperator } from '../core/time/split-timestamps-operator.js';
import type { WatermarkStrategy } from '../core/time/watermark-strategy.js';
import { metricsOffsets } from '../core/runtime/metrics.js';
import { handingOver, signalStop, stoppedForFailure, threadBell } from '../core/runtime/job-control.js';
import type { CoordinatorMessage } from '../core/checkpoint/messages.js';
import { subtaskKey, type SerializedError, type ThreadAssignment, type ThreadResult } from './assignment.js';
import { SinkResultLink } from './sink-results.js';
import { InputGate } from './input-gate.js';
import { OutputGate, type BadRecordAt } from './output-gate.js';
import { FanOut } from './fan-out.js';
import { SOURCE_NOTIFY_WAIT_MS, Subtask, type ChainOperator, type CheckpointSink } from './subtask.js';
import { publishMetrics, runTaskLoop } from './task-loop.js';
import { CheckpointLink } from './checkpoint-link.js';
import { OutputLink } from './output-link.js';
import { LatencyTracking } from './latency-markers.js';
import { workerWarnings } from '../core/runtime/worker-warnings.js';
import type { ReaderContext } from '../core/connectors/source.js';

/** An error's `code` when it is a string (Node's and sluice's connectors' errors carry one). */
function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | undefined)?.code;
  return typeof c === 'string' ? c : undefined;
}

/** An error's own enumerable fields that are plain values (the rest cannot cross to the main thread as they are). */
function plainFields(e: unknown): Record<string, string | number | boolean | null> | undefined {
  if (e === null || typeof e !== 'object') return undefined;
  let fields: Record<string, string | number | boolean | null> | undefined;
  for (const [k, v] of Object.entries(e)) {
    if (k === 'name' || k === 'message' || k === 'stack' || k === 'cause') continue;
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') (fields ??= {})[k] = v;
  }
  return fields;
}

/** A connector's reader or writer, opened: one that throws fails the job naming the operator, subtask and hook. */
function opened<T>(operator: string, subtask: number, hook: string, open: () => T): T {
  try {
    return open();
  } catch (e) {
    throw new OperatorError(operator, subtask, e, hook);
  }
}

function bellOf(a: ThreadAssignment, thread: number): Doorbell {
  return threadBell(a.control, thread);
}

/**
 * The codec of an exchange: the producing node's (withCodec) on its main output. A side output carries records of
 * another type (dead letters, late input records, ctx.output values), so it always takes the generic codec.
 */
function codecOf(node: LogicalNode, tag: string | undefined): RecordCodec<unknown> {
  return tag === undefined ? node.codec ?? genericCodec<unknown>() : genericCodec<unknown>();
}

/**
 * Per input, a record as it would cross an exchange into it now: through a typed codec's encode and decode (a
 * SchemaMismatchError when the schema does not fit it). Unchanged when one of its exchanges is generic (the record
 * may have come through that one, which takes any value). One encoder and decoder per codec (typed ones keep no
 * state between records).
 */
function recoder(inputCodecs: ReadonlyMap<number, readonly RecordCodec<unknown>[]>): (input: number, value: unknown) => unknown {
  const pairs = new Map<RecordCodec<unknown>, { enc: RecordEncoder<unknown>; dec: RecordDecoder<unknown> }>();
  return (input, value) => {
    const codecs = inputCodecs.get(input);
    if (codecs === undefined || codecs.some((c) => c.kind === 'generic')) return value;
    let error: unknown;
    for (const c of codecs) {
      let p = pairs.get(c);
      if (p === undefined) { p = { enc: c.encoder(), dec: c.decoder() }; pairs.set(c, p); }
      try {
        const bytes = new Uint8Array(p.enc.size(value));
        const view = new DataView(bytes.buffer);
        p.enc.write(value, bytes, view, 0);
        return p.dec.read(bytes, view, 0, bytes.length);
      } catch (e) {
        error = e;
      }
    }
    throw error;
  };
}

/** Batch frames only for the generic codec: a typed record has no array form, and costs little per call. */
function batchFor(a: ThreadAssignment, codec: RecordCodec<unknown>): number {
  return codec.kind === 'generic' ? a.options.recordBatch : 1;
}

function threadOf(a: ThreadAssignment, task: number, subtask: number): number {
  return a.plan.placements.find((p) => p.task === task && p.subtask === subtask)!.thread;
}

function downstreamOf(gates: Downstream<unknown>[]): Downstream<unknown> {
  return gates.length === 1 ? gates[0]! : new FanOut(gates);
}

/** Whether the node's operator reads two inputs (the input gate feeds the second through `input2`). */
function isTwoInput(n: LogicalNode): boolean {
  return TWO_INPUT_KINDS.has(n.kind);
}

function buildSubtask(a: ThreadAssignment, graph: LogicalGraph, taskId: number, index: number, bell: Doorbell, checkpoints: CheckpointSink | undefined, live: OutputLink | undefined, readers: ReaderContext): Subtask {
  const { plan } = a;
  const task = plan.tasks[taskId]!;
  const nodes = task.nodeIds.map((id) => graph.nodes[id]!);
  const ctx = new TaskContext(task.name, index, task.parallelism, plan.maxParallelism);
  ctx.columnarState = a.checkpoint.columnarState;
  ctx.stateFastPaths = a.options.stateFastPaths;
  // Called after a promise settled what a subtask waits for (its state is set first): the ring wakes a loop parked
  // on this thread's bell, which would otherwise sleep through it until its park timeout.
  ctx.wake = () => bell.ring();

  // One output gate per exchange leaving the task: the tail's main output, and side outputs of any operator.
  const mainOutputs: OutputGate<unknown>[] = [];
  const sideOutputs = new Map<number, Map<string, OutputGate<unknown>[]>>();
  const outputs: OutputGate<unknown>[] = [];
  const gateOf: { gate: OutputGate<unknown>; node: number; tag: string | undefined; into: { operator: string; input?: 1 | 2 } }[] = [];
  for (const x of plan.exchanges.filter((e) => e.fromTask === taskId)) {
    const from = graph.nodes[x.fromNode]!;
    const consumer = graph.nodes[x.toNode]!;
    const codec = codecOf(from, x.tag);
    const batch = batchFor(a, codec);
    const writers = plan.channels
      .filter((c) => c.exchange === x.id && c.fromSubtask === index)
      .sort((p, q) => p.toSubtask - q.toSubtask)
      .map((c) => {
        const ring = Ring.attach(a.rings[c.id]!, a.options.ringOption);
        // With checkpoints, the ring's last bytes are kept for barriers that overtake queued data (unaligned).
        const barrierHeadroom = a.checkpoint.enabled ? Math.min(BARRIER_LANE_BYTES, ring.capacity / 8) : 0;
        return new ChannelWriter(
          new RingProducer(ring, bellOf(a, threadOf(a, x.toTask, c.toSubtask)), { batchBytes: a.options.batchBytes, hysteresis: a.options.hysteresis, barrierHeadroom }),
          codec.encoder(),
          { batches: batch > 1 },
        );
      });
    const edge = consumer.inputs[x.inputIndex]!;
    const key = edge.key;
    const gate = new OutputGate(ctx, writers, x.partitioner, key, plan.maxParallelism, index, batch, edge.partition);
    outputs.push(gate);
    // A rejected record is said as the keyBy's into the consumer (the operator the user keyed), not the emitter's.
    gateOf.push({ gate, node: x.fromNode, tag: x.tag, into: isTwoInput(consumer) ? { operator: consumer.name, input: x.inputIndex === 0 ? 1 : 2 } : { operator: consumer.name } });
    if (x.tag === undefined) {
      mainOutputs.push(gate);
    } else {
      let byTag = sideOutputs.get(x.fromNode);
      if (!byTag) { byTag = new Map(); sideOutputs.set(x.fromNode, byTag); }
      byTag.set(x.tag, [...(byTag.get(x.tag) ?? []), gate]);
    }
  }

  const env = { graph, checkpointing: a.checkpoint.enabled };
  // Before the chain: a per-split watermark strategy behind it runs per split only if its reader says which.
  const key = subtaskKey(taskId, index);
  const source = opened(nodes[0]!.name, index, 'createReader', () => nodes[0]!.source?.createReader(index, task.parallelism, a.splits[key] ?? [], readers));
  const sinks: SinkOperator<unknown>[] = [];
  const chain: ChainOperator[] = [];
  const opOf = new Map<number, Operator<unknown, unknown>>();
  let next: Downstream<unknown> = downstreamOf(mainOutputs);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k]!;
    let op: Operator<unknown, unknown>;
    if (n.kind === 'sink') {
      // A run that counts collect sinks' records: the sink's own writer, which keeps them, is not made.
      const counted = a.options.collectCount && asCollectSink(n.sink) !== undefined;
      const writer = counted ? countingWriter() : opened(n.name, index, 'createWriter', () => n.sink!.createWriter(index, task.parallelism));
      // A sink whose writer drains, in a run that hands collect records over live: live, and held back while its reader is behind.
      const s = live !== undefined && writer.drain !== undefined && a.outputFlow !== undefined
        // Each post moves the thread's handover mark: a cancel's grace period waits for one under way (a finished
        // sink's tail may be millions of records) rather than terminate the thread and lose them.
        ? new LiveSinkOperator(n.name, ctx, writer, new Int32Array(a.outputFlow), n.id * OUTPUT_FLOW_SLOTS, (items) => handingOver(a.control, a.plan.threads, a.thread, () => live.post(n.id, index, items)))
        : a.outputHold !== undefined && asCollectSink(n.sink) !== undefined && !counted
          ? new CountedSinkOperator(n.name, ctx, writer, new Int32Array(a.outputHold), n.id * OUTPUT_HOLD_SLOTS + OUTPUT_HOLD_TAKEN)
          : new SinkOperator(n.name, ctx, writer, a.checkpoint.enabled);
      sinks.push(s);
      op = s as Operator<unknown, unknown>;
    } else if (k === 1 && n.kind === 'timestamps' && (n.spec as WatermarkStrategy<unknown>).perSplit && source?.trackSplits !== undefined) {
      op = new SplitTimestampsOperator(n.name, ctx, next, n.spec as WatermarkStrategy<unknown>, graph.autoWatermarkIntervalMs);
    } else {
      op = createOperator(n, ctx, next, env, operatorBuilders);
    }
    if (n.errorPolicy !== undefined) op.errorPolicy = n.errorPolicy;
    op.onErrorTarget = onErrorTarget(graph, n);
    if (n.coInput !== undefined) op.coInput = n.coInput;
    // Right behind its source, an assigner goes idle by the source's reads; anywhere else, by the records it gets.
    if (op instanceof TimestampsOperator && k === 1 && nodes[0]!.kind === 'source') op.behindSource = true;
    const side = sideOutputs.get(n.id);
    if (side) {
      // validate() admits side outputs only of operators that have them (SIDE_OUTPUT_KINDS), and dead letters of
      // operators with an error policy (ERROR_POLICY_KINDS).
      const targets = (op as unknown as Partial<HasSideOutputs>).sideOutputs;
      for (const [tag, gates] of side) {
        const out = downstreamOf(gates);
        if (tag === DEAD_LETTERS_ID) op.deadLetters = out as Downstream<DeadLetter>;
        targets?.set(tag, out);
      }
    }
    opOf.set(n.id, op);
    chain.unshift({ uid: n.uid ?? n.name, op });
    // A source is not in the data path (it pushes straight into the next operator).
    if (n.kind !== 'source') next = op;
  }

  // A record too large for a ring: the error policy of the operator that emitted it decides (dead letters carry
  // a preview of it: the record itself cannot cross a ring). A dead letter too large is cut to a preview.
  // A record the exchange rejects (its key selector threw, its codec does not fit it): the same, named after the
  // operator that emitted it (it used to fail the task under the name of the chain's source, whatever the policy).
  for (const { gate, node, tag, into } of gateOf) {
    const op = opOf.get(node)!;
    if (tag === DEAD_LETTERS_ID) {
      // So is one whose record its codec cannot encode either (often why it is a dead letter).
      gate.carriesDeadLetters = true;
      gate.substitute = (v: unknown, e: unknown) => {
        // Cut once: one the cut did not make fit fails. A source's dead letter marked truncated already (a line over
        // maxLineBytes, up to 1 MiB) is cut like any other, rather than failing the job bare.
        const raw = (v as DeadLetter).raw;
        if ((v as DeadLetter).truncated && (typeof raw === 'string' || raw instanceof Uint8Array) && raw.length <= DEAD_LETTER_PREVIEW) throw e;
        return truncatedDeadLetter(v as DeadLetter);
      };
      continue;
    }
    // Counted as emitted when it was pushed; it is rejected instead (a source counts what it emitted itself). Only
    // where this gate is the main output's one way out: a side output's records are not in recordsOut, and a record
    // one of two exchanges rejects still goes out through the other.
    const fromSource = node === nodes[0]!.id && nodes[0]!.kind === 'source';
    // The same for a side output's records, in sideOutputRecords (else counted there and as rejected).
    const onlyWayOut = gateOf.filter((g) => g.node === node && g.tag === tag).length === 1;
    const rejectEmitted = (v: unknown, e: unknown): void => {
      if (op.errorPolicy !== 'fail' && onlyWayOut) {
        if (tag !== undefined) op.sideOutputRecords--;
        else if (fromSource) subtask!.sourceRecords--;
        else op.recordsOut--;
      }
      op.reject(e, v, undefined);
    };
    gate.onBadRecord = (v: unknown, e: unknown, at: BadRecordAt) => rejectEmitted(v, new RecordRejectedError(at, e, into));
    // Under 'fail' the RecordTooLargeError (it names the limit and the option to raise) fails the task as the
    // emitting operator's error: bare, a job of many operators would not say which.
    gate.onTooLarge = op.errorPolicy !== 'fail' ? rejectEmitted : (_v: unknown, e: unknown): void => { throw new OperatorError(op.name, ctx.subtask, e, undefined, op.onErrorTarget); };
  }

  const head = nodes[0]!;
  let input: InputGate | undefined;
  let subtask: Subtask | undefined;
  const barriers = {
    snapshot: (b: Parameters<Subtask['snapshot']>[0]) => subtask!.snapshot(b),
    complete: (id: number, inFlight: Parameters<Subtask['complete']>[1]) => subtask!.complete(id, inFlight),
    abandon: (id: number) => subtask!.abandon(id),
    latencyMarker: (m: Parameters<Subtask['latencyMarker']>[0]) => subtask!.latencyMarker(m),
  };
  // A source's task has an input gate too when it chains a two-input operator (physical-plan.ts): the gate feeds
  // that operator's second input.
  const twoInputAt = nodes.findIndex((n, k) => k > 0 && isTwoInput(n));
  /** The codecs of the exchanges into each input: what an unaligned checkpoint's in-flight records cross on replay. */
  const inputCodecs = new Map<number, RecordCodec<unknown>[]>();
  if (head.kind !== 'source' || twoInputAt > 0) {
    const readers: ChannelReader<unknown>[] = [];
    const inputOf: number[] = [];
    const numberOf = inputNumbering(graph, plan, taskId);
    for (const x of plan.exchanges.filter((e) => e.toTask === taskId)) {
      const codec = codecOf(graph.nodes[x.fromNode]!, x.tag);
      const at = numberOf(x);
      inputCodecs.set(at, [...(inputCodecs.get(at) ?? []), codec]);
      const batches = batchFor(a, codec) > 1;
      for (const c of plan.channels.filter((ch) => ch.exchange === x.id && ch.toSubtask === index)) {
        readers.push(new ChannelReader(
          new RingConsumer(Ring.attach(a.rings[c.id]!, a.options.ringOption), bell, { batchBytes: a.options.batchBytes, hysteresis: a.options.hysteresis, producerBell: bellOf(a, threadOf(a, x.fromTask, c.fromSubtask)) }),
          codec.decoder(),
          { batches },
        ));
        inputOf.push(at);
      }
    }
    const gateTrigger = a.checkpoint.enabled ? { control: new Int32Array(a.control), index: JOB_CHECKPOINT_TRIGGER } : undefined;
    input = new InputGate(readers, inputOf, ctx, barriers, a.checkpoint.alignmentTimeoutMs, twoInputAt > 0 ? 1 : 0, gateTrigger);
  }
  const trigger = a.checkpoint.enabled ? { control: new Int32Array(a.control), index: JOB_CHECKPOINT_TRIGGER } : undefined;
  const headOp = head.kind === 'source' ? next : chain[0]!.op;
  let head2 = isTwoInput(head) ? (chain[0]!.op as unknown as TwoInputOperator).input2 : undefined;
  let merging: MergesInputs | undefined;
  if (twoInputAt > 0) {
    const op = chain[twoInputAt]!.op as unknown as TwoInputOperator & Partial<MergesInputs>;
    if (op.mergeInputs === undefined || op.startWatermarkAt === undefined) throw new Error(`operator '${nodes[twoInputAt]!.name}' cannot be chained behind a source: it does not merge its inputs' event time`);
    op.mergeInputs();
    merging = op as MergesInputs;
    head2 = op.input2;
  }
  // The wake follows the state a settled promise set: a loop parked on the bell wakes and sees it (not at its timeout).
  subtask = new Subtask(taskId, task.name, ctx, headOp, chain, outputs, sinks, input, source, () => bell.ringAlways(), head.name, checkpoints, trigger, head2);
  subtask.fineSourceWaits = a.options.fineWaitMs > 0;
  subtask.alignmentTimeoutMs = a.checkpoint.alignmentTimeoutMs;
  // No split while another subtask of the source has one (more subtasks than splits). A source with none at all
  // reads by other means (its splits are not what it reads): left as it was.
  subtask.givenNoSplits = source !== undefined && (a.splits[key] ?? []).length === 0
    && Array.from({ length: task.parallelism }, (_, i) => a.splits[subtaskKey(taskId, i)]?.length ?? 0).some((n) => n > 0);
  subtask.merging = merging;
  const heldBy = source !== undefined && a.outputHold !== undefined ? heldBySinks(graph, head.id) : [];
  if (heldBy.length > 0) subtask.outputHold = { lines: new Int32Array(a.outputHold!), bases: heldBy.map((sink) => sink * OUTPUT_HOLD_SLOTS) };
  if (source !== undefined) {
    const placement = a.plan.placements.findIndex((p) => p.task === taskId && p.subtask === index);
    const alignment = SourceAlignment.forPlacement(graph, a.plan, placement, a.alignment, (t) => bellOf(a, t));
    if (alignment !== undefined) subtask.align(alignment, chain[1]!.op as TimestampsOperator<unknown>);
    if (chain[1]?.op instanceof SplitTimestampsOperator) subtask.trackSplits(chain[1].op);
  }
  if (a.options.latencyTrackingIntervalMs > 0) {
    subtask.latency = new LatencyTracking(a.options.latencyTrackingIntervalMs, source ? { operator: head.id, subtask: index } : undefined, sinks.length > 0);
  }

  const restore = a.restore?.[key];
  if (restore) {
    for (const { uid, op } of chain) {
      const r = restore.operators[uid];
      if (r) op.restoreState(r);
    }
    if (restore.inFlight) subtask.setReplay(restore.inFlight, recoder(inputCodecs));
    if (restore.channels !== undefined) input?.restoreChannels(restore.channels);
    if (restore.watermark !== undefined) {
      input?.startWatermarkAt(restore.watermark);
      merging?.startWatermarkAt(restore.watermark);
    }
  }
  for (const { op } of chain) if (op instanceof KeyedProcessOperator || op instanceof BroadcastProcessOperator || op instanceof ProcessOperator) op.open();
  return subtask;
}

/** A two-input operator chained behind a source: it merges its inputs' event time (BroadcastProcessOperator). */
interface MergesInputs {
  mergeInputs(): void;
  readonly mergedWatermark: number | undefined;
  startWatermarkAt(watermark: number): void;
}

/** `job`: the job module, when a bundle (core/runtime/worker-bundle.ts) brought it along; else imported from a.jobUrl. */
export default async function runThread(a: ThreadAssignment, job?: unknown): Promise<ThreadResult> {
  const result: ThreadResult = { thread: a.thread, stopped: false };
  const sinkResults = new SinkResultLink(a.port);
  let subtasks: Subtask[] = [];
  let link: CheckpointLink | undefined;
  /** Set once the loop runs: writes the subtasks' metrics (once more after their operators close). */
  let publish: (() => void) | undefined;
  const live = a.outputFlow !== undefined ? new OutputLink(a.port) : undefined;
  let graph: LogicalGraph | undefined;
  const nodeOf = (sinkName: string): number => graph!.nodes.findIndex((n) => n.name === sinkName);
  const warnings = workerWarnings(a.warnings, a.thread);
  try {
    const g = graph = buildGraph(job ?? await import(a.jobUrl), a.parallelism, a.jobUrl);
    const diff = firstDifference(a.fingerprints, g.nodeFingerprints());
    if (diff) throw new GraphMismatchError(`worker thread ${a.thread} built a different graph from the job module: ${diff}. A job module must build the same graph every time it is loaded (no random or time-dependent input).`);
    const bell = bellOf(a, a.thread);
    if (a.checkpoint.enabled) {
      link = new CheckpointLink(a.port, (m: CoordinatorMessage) => {
        for (const st of subtasks) {
          if (m.type === 'complete') st.checkpointComplete(m.checkpointId);
          else st.abortCheckpoint(m.checkpointId);
        }
        // The loop may be parked on this bell (its event loop runs this handler): else it acts at its park timeout.
        bell.ringAlways();
      });
    }
    const mine = a.plan.placements.map((p, i) => ({ p, i })).filter(({ p }) => p.thread === a.thread);
    subtasks = mine.map(({ p }) => buildSubtask(a, g, p.task, p.subtask, bell, link, live, warnings));
    // Restored and open (a restore or an open() can take long): checkpoints start counting against their timeout.
    link?.running(a.thread);
    const offsets = metricsOffsets(a.plan);
    const metrics = new Float64Array(a.metrics);
    const mineAt = mine.map(({ i }) => offsets[i]!);
    publish = () => publishMetrics(subtasks, metrics, mineAt);
    await runTaskLoop(subtasks, bell, new Int32Array(a.control), metrics, mineAt, {
      budget: a.options.budget,
      bufferTimeoutMs: a.options.bufferTimeoutMs,
      yieldEveryMs: 20,
      wait: waitStrategy({ mode: 'async', spin: a.options.spin, parkTimeoutMs: a.options.parkTimeoutMs }),
      fineWaitMs: a.options.fineWaitMs,
      settleHops: a.options.settleHops,
      turnsAt: jobLoopTurns(a.plan.threads, a.thread),
    });
    // Before the sources close (finally): an acknowledgement made as a source ended may still be on its way.
    // One bound for the thread, not one per source subtask on it.
    const notifiedBy = performance.now() + SOURCE_NOTIFY_WAIT_MS;
    for (const st of subtasks) await st.sourceNotified(Math.max(0, notifiedBy - performance.now()));
    for (const st of subtasks) {
      for (const s of st.sinks) {
        // A writer that finishes asynchronously (Redis) is done only when its promise settles.
        let r: unknown;
        try { r = await s.result; } catch (e) { throw new OperatorError(s.name, st.index, e); }
        const unsendable = sinkResults.post({ node: nodeOf(s.name), subtask: st.index, result: r }, s.name, 'finish');
        if (unsendable !== undefined) throw unsendable;
      }
    }
  } catch (e) {
    if (e instanceof JobCancelledError) {
      result.stopped = true;
      // Cancelled: collect sinks hand back what they received so far (nothing is published). Marked as one
      // handover: the stop's grace period waits for it while its posts go (millions of records may be copied), not
      // for a sink's stopped() or a record's getter that does not return.
      // Not when the attempt failed: its results are dropped, and copying them would only delay its restart.
      if (!stoppedForFailure(a.control)) handingOver(a.control, a.plan.threads, a.thread, (sent) => {
        for (const st of subtasks) {
          for (const s of st.sinks) {
            const r = s.stoppedResult();
            if (r === undefined) continue;
            const unsendable = sinkResults.post({ node: nodeOf(s.name), subtask: st.index, result: r }, s.name, 'stopped', sent);
            // A warning, not a failure: the job was cancelled (a failure could restart it), and ends without it.
            if (unsendable !== undefined) warnings.warn(`${unsendable.message}: left out of the cancelled run's result`);
          }
        }
      });
    } else {
      // Stop every thread at once: the first failure must not wait for the main thread's round trip.
      signalStop(a.control, a.plan.threads, true);
      result.error = serializeError(e);
    }
  } finally {
    link?.close();
    for (const st of subtasks) for (const op of st.operators) if (holdsRecords(op)) op.close?.();
    // The main thread reads them once this task returns: what a close dropped (an asyncMap's held markers) is in.
    publish?.();
    // After stoppedResult (a collect writer hands its records over there): a sink that never ended lets go.
    // What an abort or a close throws is said, naming the sink or source (it may have left output or not acknowledged
    // input), and never replaces the job's outcome.
    for (const st of subtasks) {
      for (const s of st.sinks) {
        try {
          s.abort();
        } catch (e) {
          warnings.warn(`sink '${s.name}' (subtask ${st.index}) failed in abort: ${e instanceof Error ? e.message : String(e)}. What it holds of this run (unpublished output, connections) may be left behind`);
        }
      }
    }
    // Every source gets closed, whatever another one's close does.
    await Promise.all(subtasks.map((st) => st.closeSource(warnings.warn)));
    await stdioReceived();
    warnings.close();
  }
  if (live !== undefined) result.liveBatches = live.batches;
  if (sinkResults.posted > 0) result.sinkResults = sinkResults.posted;
  if (warnings.posted > 0) result.warnings = warnings.posted;
  return result;
}

/** A thread's failure as its result carries it to the main thread (revived there: core/runtime/revive-error.ts). */
function serializeError(e: unknown): SerializedError {
  const err = e instanceof Error ? e : new Error(String(e));
  return {
    name: err.name, message: err.message, stack: err.stack,
    operator: e instanceof OperatorError ? e.operator : undefined,
    subtask: e instanceof OperatorError ? e.subtask : undefined,
    hook: e instanceof OperatorError ? e.hook : undefined,
    policyOperator: e instanceof OperatorError ? e.policyOperator : undefined,
    causeMessage: e instanceof OperatorError ? (e.cause as Error | undefined)?.message : undefined,
    causeName: e instanceof OperatorError ? (e.cause as Error | undefined)?.name : undefined,
    causeCode: e instanceof OperatorError ? codeOf(e.cause) : undefined,
    causeFields: e instanceof OperatorError ? plainFields(e.cause) : undefined,
  };
}

/**
 * Resolves once the main thread has received everything this thread wrote to stdout and stderr (print sinks,
 * console.log): a worker's stdio is sent to it asynchronously, and a pool ended right after the task returned lost
 * what had not arrived yet (half of a print sink's lines, with stdout in a file). A write's
 * callback runs when the main thread asks for more, that is, once it has what came before.
 */
function stdioReceived(): Promise<unknown> {
  // Nothing pending (a write's length counts until the main thread asks for more): no round trip at all.
  const pending = [process.stdout, process.stderr].filter((s) => s.writableLength > 0);
  if (pending.length === 0) return Promise.resolve();
  const received = Promise.all(pending.map((s) => new Promise<void>((resolve) => { s.write('', () => resolve()); })));
  // Bounded: a main thread whose own stdout is stuck (a reader that stopped reading) never asks for more.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => { timer = setTimeout(resolve, STDIO_WAIT_MS); });
  return Promise.race([received, bound]).finally(() => clearTimeout(timer));
}

/** Longest a finished thread waits for the main thread to take its stdout and stderr. */
const STDIO_WAIT_MS = 2000;
