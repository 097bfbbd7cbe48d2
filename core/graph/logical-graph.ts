// Runs on: main thread and every worker thread (each builds the same graph from the job module).
//
// The logical graph: operators as nodes, data exchanges as edges. Built by the DataStream API, validated before
// any thread starts, and fingerprinted so every worker can prove it built the same graph.

import { JobDefinitionError } from '../api/errors.js';
import type { RecordCodec } from '../../shm/codec/codec.js';
import type { SourceSpec } from '../connectors/source.js';
import type { SinkSpec } from '../connectors/sink.js';
import type { UserKey } from './tuple-key.js';
import { DEAD_LETTERS_ID, type ErrorPolicy } from '../api/dead-letters.js';
import { shownValue } from '../api/shown-value.js';

/** How records move along an edge. 'hash' routes by key group; 'forward' keeps subtask i → subtask i. */
/**
 * How records cross an exchange: `forward` to the same subtask (chainable), `hash` by key group, `rebalance`
 * round-robin, `shuffle` at random, `broadcast` to all, `global` to subtask 0, `custom` by a user function of
 * the key (partitionCustom).
 */
export type Partitioner = 'forward' | 'hash' | 'rebalance' | 'shuffle' | 'broadcast' | 'global' | 'custom';

export type NodeKind = 'source' | 'map' | 'filter' | 'flatMap' | 'reduce' | 'process' | 'union' | 'sink' | 'timestamps'
  | 'window' | 'coProcess' | 'broadcastProcess' | 'async' | 'combine' | 'streamProcess';

/** Operators that need their input partitioned by key. */
export const KEYED_KINDS: ReadonlySet<NodeKind> = new Set(['reduce', 'process', 'window', 'coProcess']);
/** Operators that read two inputs (the input gate feeds the second through `input2`). */
export const TWO_INPUT_KINDS: ReadonlySet<NodeKind> = new Set(['coProcess', 'broadcastProcess']);

/** Operators that take an error policy (`.onError`); each can emit DEAD_LETTERS. */
export const ERROR_POLICY_KINDS: ReadonlySet<NodeKind> = new Set(['source', 'map', 'filter', 'flatMap', 'reduce', 'process', 'streamProcess', 'async', 'sink', 'coProcess', 'broadcastProcess']);

/** Operators that can emit to side outputs (`getSideOutput`). */
export const SIDE_OUTPUT_KINDS: ReadonlySet<NodeKind> = new Set(['process', 'streamProcess', 'window', 'coProcess', 'broadcastProcess', 'async']);

export interface LogicalEdge {
  readonly from: number;
  readonly partitioner: Partitioner;
  /**
   * For 'hash' and 'custom' edges: the key of a record, as the user's selector returns it. A tuple is a key once
   * canonicalKey (tuple-key.ts) made it one, which every place that hashes or keys state by it does.
   */
  readonly key?: (value: unknown) => UserKey;
  /** For 'custom' edges: the consumer subtask of a key (as the selector returned it), given the consumer's parallelism. */
  readonly partition?: (key: UserKey, parallelism: number) => number;
  /** The side output of `from` this edge reads (OutputTag id); undefined for its main output. */
  readonly tag?: string;
}

export interface LogicalNode {
  readonly id: number;
  readonly kind: NodeKind;
  name: string;
  /** Stable id across job versions (for state, in the checkpointing issue); defaults to kind + position. */
  uid: string | undefined;
  /** Undefined: the job's default parallelism. */
  parallelism: number | undefined;
  /** Set: the node runs as one subtask, whatever setParallelism says (what it is, for the refusal: 'windowAll'). */
  singleSubtask?: string;
  readonly inputs: LogicalEdge[];
  readonly fn?: unknown;
  /** Operator-specific definition (watermark strategy, window spec, ...): plain data and functions. */
  readonly spec?: unknown;
  /** Part of the fingerprint: what of `spec` must be identical on every thread. */
  readonly specFingerprint?: string;
  readonly source?: SourceSpec<unknown>;
  readonly sink?: SinkSpec<unknown>;
  /** Codec of this node's output records when they cross a ring (default: msgpackr). */
  codec: RecordCodec<unknown> | undefined;
  /** What a failing user function (a source: bad input) does; undefined: 'fail'. */
  errorPolicy?: ErrorPolicy;
  /**
   * A node the API added for this one and the user cannot reach (a window's local combiner): it takes this node's
   * name and uid with a suffix.
   */
  companion?: LogicalNode;
  /**
   * On the union an unkeyed `connect(...).map` / `flatMap` returns: its per-input operators, which take the name,
   * parallelism and error policy set on it (the union itself runs nothing).
   */
  coFunctions?: readonly [LogicalNode, LogicalNode];
  /** On those per-input operators: which input of the connect they read (dead letters say it). */
  coInput?: 1 | 2;
}

export interface GraphOptions {
  parallelism: number;
  maxParallelism: number;
}

/** Checkpointing as the job module asks for it (`env.enableCheckpointing`); run options override it. */
export interface CheckpointConfig {
  intervalMs: number;
  /** 'aligned' (default) or 'unaligned' barriers. */
  mode?: 'aligned' | 'unaligned';
  /** Aligned barriers switch to unaligned when alignment takes longer than this, ms. */
  alignmentTimeoutMs?: number;
  /** Failed checkpoints in a row tolerated before the job fails and restarts (RunOptions.tolerableCheckpointFailures). */
  tolerableFailures?: number;
}

export class LogicalGraph {
  readonly nodes: LogicalNode[] = [];
  defaultParallelism: number;
  maxParallelism: number;
  /** How often watermark generators emit, ms of wall time (Flink's auto-watermark interval). */
  autoWatermarkIntervalMs = 200;
  checkpointing: CheckpointConfig | undefined = undefined;

  constructor(options: GraphOptions) {
    this.defaultParallelism = options.parallelism;
    this.maxParallelism = options.maxParallelism;
  }

  add(node: Omit<LogicalNode, 'id' | 'uid' | 'parallelism' | 'codec' | 'name'> & { name?: string }): LogicalNode {
    const id = this.nodes.length;
    const n: LogicalNode = { ...node, id, name: node.name ?? `${node.kind}-${id}`, uid: undefined, parallelism: undefined, codec: undefined };
    this.nodes.push(n);
    return n;
  }

  parallelismOf(node: LogicalNode): number {
    // A local combiner runs in its input's subtasks (chained).
    if (node.kind === 'combine') return this.parallelismOf(this.nodes[node.inputs[0]!.from]!);
    return node.parallelism ?? (node.source ? Math.min(this.defaultParallelism, node.source.defaultParallelism ?? Infinity, node.source.maxParallelism) : this.defaultParallelism);
  }

  /** Consumers of each node, in node order (a node reading two outputs of one node appears twice). */
  consumers(): LogicalNode[][] {
    const out: LogicalNode[][] = this.nodes.map(() => []);
    for (const n of this.nodes) for (const e of n.inputs) out[e.from]!.push(n);
    return out;
  }

  /** How many edges read each node's main output (side outputs not counted). */
  mainConsumerCounts(): number[] {
    const out = this.nodes.map(() => 0);
    for (const n of this.nodes) for (const e of n.inputs) if (e.tag === undefined) out[e.from]!++;
    return out;
  }

  /** Throws JobDefinitionError, naming the operator, for a graph that cannot run. */
  validate(): void {
    const label = (n: LogicalNode): string => `operator '${n.name}' (${n.kind})`;
    if (!Number.isInteger(this.defaultParallelism) || this.defaultParallelism < 1) {
      throw new JobDefinitionError(`job parallelism must be an integer >= 1, got ${shownValue(this.defaultParallelism)}`);
    }
    if (!Number.isInteger(this.maxParallelism) || this.maxParallelism < 1 || this.maxParallelism > 32768) {
      throw new JobDefinitionError(`job maxParallelism must be an integer in 1..32768, got ${shownValue(this.maxParallelism)}`);
    }
    if (this.nodes.length === 0) throw new JobDefinitionError('the job defines no operators: add a source and a sink');
    // Only where an operator takes it: not refused when every operator sets its own.
    const takesDefault = this.nodes.find((n) => n.parallelism === undefined && this.parallelismOf(n) > this.maxParallelism);
    if (takesDefault !== undefined) {
      throw new JobDefinitionError(`job parallelism ${this.defaultParallelism} exceeds maxParallelism ${this.maxParallelism} (${label(takesDefault)} takes it): subtasks beyond it would own no key groups`);
    }
    const names = new Set<string>();
    for (const n of this.nodes) {
      if (names.has(n.name)) throw new JobDefinitionError(`${label(n)}: the name '${n.name}' is used by another operator; names must be unique`);
      names.add(n.name);
    }
    // Checkpoints key each operator's state by its uid (default: its name): two alike would share one.
    const uids = new Map<string, LogicalNode>();
    for (const n of this.nodes) {
      const uid = n.uid ?? n.name;
      const other = uids.get(uid);
      if (other !== undefined) {
        const whose = (x: LogicalNode): string => (x.uid !== undefined ? 'uid' : 'name (its default uid)');
        throw new JobDefinitionError(`${label(n)}: its ${whose(n)} '${uid}' is also the ${whose(other)} of ${label(other)}; uids key operator state in checkpoints and must be unique`);
      }
      uids.set(uid, n);
    }
    for (const n of this.nodes) {
      const p = n.parallelism;
      if (p !== undefined && (!Number.isInteger(p) || p < 1)) throw new JobDefinitionError(`${label(n)}: parallelism must be an integer >= 1, got ${shownValue(p)}`);
      if (p !== undefined && p > this.maxParallelism) throw new JobDefinitionError(`${label(n)}: parallelism ${p} exceeds maxParallelism ${this.maxParallelism}`);
      if (n.singleSubtask !== undefined && this.parallelismOf(n) !== 1) {
        throw new JobDefinitionError(`${label(n)}: a ${n.singleSubtask} runs as one subtask (every record of a window meets there, as in Flink), got parallelism ${this.parallelismOf(n)}; keyBy(...).window(...) spreads windows over subtasks, and combineLocally() folds records before it`);
      }
      if (n.source && this.parallelismOf(n) > n.source.maxParallelism) {
        throw new JobDefinitionError(`${label(n)}: this ${n.source.kind} source supports parallelism ${n.source.maxParallelism} at most, got ${this.parallelismOf(n)}`);
      }
      if (n.kind === 'source' && n.inputs.length > 0) throw new JobDefinitionError(`${label(n)}: a source has no inputs`);
      if (n.kind !== 'source' && n.inputs.length === 0) throw new JobDefinitionError(`${label(n)}: has no input`);
      for (const e of n.inputs) {
        if (!(e.from >= 0 && e.from < this.nodes.length)) throw new JobDefinitionError(`${label(n)}: input ${e.from} is not an operator of this job`);
        if ((e.partitioner === 'hash' || e.partitioner === 'custom') && typeof e.key !== 'function') throw new JobDefinitionError(`${label(n)}: a ${e.partitioner} edge needs a key selector`);
        if (e.partitioner === 'custom' && typeof e.partition !== 'function') throw new JobDefinitionError(`${label(n)}: a custom edge needs a partitioner function`);
        const from = this.nodes[e.from]!;
        if (e.tag !== undefined && !SIDE_OUTPUT_KINDS.has(from.kind) && !(e.tag === DEAD_LETTERS_ID && ERROR_POLICY_KINDS.has(from.kind))) {
          throw new JobDefinitionError(`${label(n)}: reads side output '${e.tag}' of ${label(from)}, which has no side outputs`);
        }
        if (e.tag === undefined && from.kind === 'sink') {
          throw new JobDefinitionError(`${label(n)}: reads the output of ${label(from)}, and a sink has none: read the stream before the sink instead`);
        }
        if (e.tag === DEAD_LETTERS_ID && from.errorPolicy !== 'dead-letter') {
          throw new JobDefinitionError(`${label(n)}: reads the dead letters of ${label(from)}, whose error policy is '${from.errorPolicy ?? 'fail'}', so it sends none: give it onError('dead-letter')`);
        }
        if (e.partitioner === 'forward' && this.parallelismOf(this.nodes[e.from]!) !== this.parallelismOf(n)) {
          // Like Flink: a forward edge between different parallelisms is redistributed instead.
          (e as { partitioner: Partitioner }).partitioner = 'rebalance';
        }
      }
      if (KEYED_KINDS.has(n.kind) && !n.inputs.every((e) => e.partitioner === 'hash')) {
        throw new JobDefinitionError(`${label(n)}: a keyed operation needs a keyed input: call keyBy(...) before it`);
      }
    }
    this.checkAcyclic(label);
    // One sink spec, one sink: two sink operators given the same collectSink() or file sink would share its records and
    // transactions (each of two collect sinks getting both streams). Print and discard hold nothing.
    const sinkOwners = new Map<object, LogicalNode>();
    const owned = new Map<string, LogicalNode>();
    for (const n of this.nodes) {
      if (n.kind !== 'sink' || n.sink === undefined || n.sink.kind === 'print' || n.sink.kind === 'discard') continue;
      const other = sinkOwners.get(n.sink);
      if (other !== undefined) {
        throw new JobDefinitionError(`${label(n)}: its sink spec is the one ${label(other)} already writes to; give each sink its own (call collectSink(), fileSink({...}), ... once per sink)`);
      }
      sinkOwners.set(n.sink, n);
      const owns = n.sink.owns;
      if (owns === undefined) continue;
      const first = owned.get(owns);
      if (first !== undefined) throw new JobDefinitionError(`${label(n)}: it writes ${owns}, as ${label(first)} does; each would take the other's files for its own (a recovery deletes the parts its checkpoint does not name): give each sink its own directory or prefix`);
      owned.set(owns, n);
    }
    const consumers = this.consumers();
    if (!this.nodes.some((n) => n.kind === 'sink')) throw new JobDefinitionError('the job has no sink: end each stream with sink(), collect(), print() or discard()');
    for (const n of this.nodes) {
      if (n.kind !== 'sink' && consumers[n.id]!.length === 0) {
        throw new JobDefinitionError(`${label(n)}: its output goes nowhere: add a sink (collect(), print(), discard(), sink(...))`);
      }
      if (n.errorPolicy === 'dead-letter' && !consumers[n.id]!.some((c) => c.inputs.some((e) => e.from === n.id && e.tag === DEAD_LETTERS_ID))) {
        throw new JobDefinitionError(`${label(n)}: error policy 'dead-letter' but nothing reads its dead letters: use getSideOutput(DEAD_LETTERS) or onError('dead-letter', sink)`);
      }
    }
  }

  private checkAcyclic(label: (n: LogicalNode) => string): void {
    const state = new Uint8Array(this.nodes.length); // 0 new, 1 on stack, 2 done
    const visit = (id: number): void => {
      if (state[id] === 2) return;
      if (state[id] === 1) throw new JobDefinitionError(`${label(this.nodes[id]!)}: the graph has a cycle through this operator`);
      state[id] = 1;
      for (const e of this.nodes[id]!.inputs) visit(e.from);
      state[id] = 2;
    };
    for (const n of this.nodes) visit(n.id);
  }

  /** One line per node: what must be identical on every thread. */
  nodeFingerprints(): string[] {
    return this.nodes.map((n) => [
      n.id, n.kind, n.name, n.uid ?? '', this.parallelismOf(n),
      n.inputs.map((e) => `${e.from}:${e.partitioner}${e.tag === undefined ? '' : `#${e.tag}`}`).join(','),
      n.source?.fingerprint ?? '', n.sink?.fingerprint ?? '', n.codec?.fingerprint ?? 'msgpackr', n.specFingerprint ?? '',
      ...(n.errorPolicy === undefined ? [] : [`onError=${n.errorPolicy}`]),
    ].join('|'));
  }
}

/** The first operator whose fingerprint differs, for the error a worker raises. */
export function firstDifference(expected: readonly string[], actual: readonly string[]): string | undefined {
  const n = Math.max(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (expected[i] !== actual[i]) {
      const name = (expected[i] ?? actual[i] ?? '').split('|')[2] ?? `#${i}`;
      return `operator '${name}' (#${i}): main thread built [${expected[i] ?? 'nothing'}], this worker built [${actual[i] ?? 'nothing'}]`;
    }
  }
  return undefined;
}
