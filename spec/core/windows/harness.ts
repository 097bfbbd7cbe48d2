// An operator of a job graph built with the real API, run on this thread without rings or workers: records,
// timestamps and watermarks go in by hand; outputs, their timestamps, side outputs and watermarks are recorded.

import { StreamEnvironment } from '../../../core/api/environment.js';
import type { DataStream, KeyedStream } from '../../../core/api/data-stream.js';
import type { Key } from '../../../core/graph/key-groups.js';
import { createOperator, type TwoInputOperator } from '../../../core/operators/create-operator.js';
import { operatorBuilders } from '../../../core/operators/builders.js';
import type { Downstream, Operator } from '../../../core/operators/operator.js';
import { TaskContext } from '../../../core/operators/task-context.js';
import { onErrorTarget } from '../../../core/graph/on-error-target.js';

export interface Emitted<T> { value: T; ts: number }

export class Recorder<T> implements Downstream<T> {
  readonly records: Emitted<T>[] = [];
  readonly watermarks: number[] = [];
  readonly idles: boolean[] = [];
  finished = false;
  constructor(private readonly ctx: TaskContext) {}
  push(value: T): void { this.records.push({ value, ts: this.ctx.timestamp }); }
  watermark(wm: number): void { this.watermarks.push(wm); }
  idle(idle: boolean): void { this.idles.push(idle); }
  finish(): void { this.finished = true; }
  values(): T[] { return this.records.map((r) => r.value); }
  take(): T[] { const v = this.values(); this.records.length = 0; return v; }
}

export interface Harness<I, O> {
  op: Operator<I, O>;
  ctx: TaskContext;
  out: Recorder<O>;
  side: Map<string, Recorder<unknown>>;
  push(value: I, ts?: number): void;
  push2(value: unknown, ts?: number): void;
  watermark(wm: number): void;
  finish(): void;
}

/** Builds `define(keyed source)` and instantiates the operator it ends with; `sideTags` are wired to recorders. */
export function harness<I, O, K extends Key = Key>(
  key: (v: I) => K,
  define: (keyed: KeyedStream<I, K>, env: StreamEnvironment) => DataStream<O>,
  options: HarnessOptions = {},
): Harness<I, O> {
  const env = new StreamEnvironment(1);
  const out = define(env.fromCollection<I>([]).keyBy(key), env);
  return instantiate<I, O>(env, out, options);
}

export interface HarnessOptions {
  checkpointing?: boolean;
  sideTags?: string[];
  subtask?: number;
  parallelism?: number;
  /** Window operators: false turns their fast paths off (the spec's switch). */
  fastPaths?: boolean;
  /** Keyed operators: false turns keyed state's fast paths off (the run option stateFastPaths, on the task context). */
  stateFastPaths?: boolean;
}

export function instantiate<I, O>(env: StreamEnvironment, stream: DataStream<O>, options: HarnessOptions = {}): Harness<I, O> {
  if (options.fastPaths === false && (stream.node.spec as { kind?: string } | undefined)?.kind === 'window') {
    (stream.node.spec as { fastPaths: boolean }).fastPaths = false;
  }
  const ctx = new TaskContext('test', options.subtask ?? 0, options.parallelism ?? 1, env.graph.maxParallelism);
  if (options.stateFastPaths !== undefined) ctx.stateFastPaths = options.stateFastPaths;
  const rec = new Recorder<O>(ctx);
  const op = createOperator(stream.node, ctx, rec as Downstream<unknown>, { graph: env.graph, checkpointing: options.checkpointing ?? false }, operatorBuilders) as Operator<I, O>;
  // As the task host does.
  if (stream.node.errorPolicy !== undefined) op.errorPolicy = stream.node.errorPolicy;
  op.onErrorTarget = onErrorTarget(env.graph, stream.node);
  const side = new Map<string, Recorder<unknown>>();
  for (const tag of options.sideTags ?? []) {
    const r = new Recorder<unknown>(ctx);
    side.set(tag, r);
    (op as unknown as { sideOutputs: Map<string, Downstream<unknown>> }).sideOutputs.set(tag, r);
  }
  return {
    op, ctx, out: rec, side,
    push(value, ts = NaN) { ctx.timestamp = ts; op.push(value); },
    push2(value, ts = NaN) { ctx.timestamp = ts; (op as unknown as TwoInputOperator).input2.push(value); },
    watermark(wm) { ctx.watermark = wm; op.watermark(wm); },
    finish() { op.finish(); },
  };
}
