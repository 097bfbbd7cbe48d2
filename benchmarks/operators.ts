// Runs on: the benchmark's main thread. Micro-benchmarks of the per-record paths of chained operators, each built
// from a real job graph and pushed records by hand (no rings, no threads): the stateless ones (map, filter,
// flatMap both ways, and process on a stream that is not keyed, with and without side outputs), and keyed rolling
// reduces written by hand against the field aggregations that do the same (sum, maxBy).
//
//   npm run bench:operators -- [--json [PATH]]
//
// Per-record figures: each sample pushes BATCH records; events/s = BATCH x median batches/s.

import { Bench, type Task } from 'tinybench';
import { OutputTag, StreamEnvironment, type DataStream, type KeyedStream } from '../core/index.js';
import { createOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import type { Downstream, Operator } from '../core/operators/operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

const BATCH = 10_000;
const KEYS = 1000;

interface R { k: number; v: number; tag: string }
const records: R[] = Array.from({ length: BATCH }, (_, i) => ({ k: (i * 7919) % KEYS, v: i % 97, tag: 'x' }));

/** Counts what reaches it (and folds a checksum, so no output is optimised away). */
class Counter implements Downstream<unknown> {
  n = 0;
  sum = 0;
  push(value: unknown): void { this.n++; this.sum += (value as R).v ?? 1; }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}

function instance(define: (s: DataStream<R>) => Pick<DataStream<unknown>, 'node'>, keyed = false, sideTags: string[] = []): { op: Operator<R, unknown>; out: Counter } {
  const env = new StreamEnvironment(1);
  const src = env.fromCollection<R>([]);
  const stream = keyed ? define(src.keyBy((r) => r.k) as unknown as DataStream<R>) : define(src);
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  const out = new Counter();
  const op = createOperator(stream.node, ctx, out, { graph: env.graph, checkpointing: false }, operatorBuilders) as Operator<R, unknown>;
  for (const tag of sideTags) (op as unknown as { sideOutputs: Map<string, Downstream<unknown>> }).sideOutputs.set(tag, new Counter());
  return { op, out };
}

function row(task: Task, benchmark: string, engine: string, extra: Record<string, unknown> = {}): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  return {
    benchmark, engine, parallelism: 1, repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * BATCH, p50Us: (r.latency.p50 * 1000) / BATCH, p99Us: (r.latency.p99 * 1000) / BATCH,
    rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, ...extra,
  };
}

async function main(): Promise<void> {
  const target = parseJsonArg(process.argv.slice(2));
  const big = new OutputTag<R>('big');
  const cases: [string, string, { op: Operator<R, unknown>; out: Counter }][] = [
    ['operator.stateless', 'map', instance((s) => s.map((r) => ({ k: r.k, v: r.v + 1, tag: r.tag })))],
    ['operator.stateless', 'filter', instance((s) => s.filter((r) => r.v < 48))],
    ['operator.stateless', 'flatMap (returns an array)', instance((s) => s.flatMap((r) => (r.v < 48 ? [r] : [])))],
    ['operator.stateless', 'flatMap (out.collect)', instance((s) => s.flatMap<R>((r, out) => { if (r.v < 48) out.collect(r); }))],
    ['operator.stateless', 'process (main output)', instance((s) => s.process<R>((r, _ctx, out) => { if (r.v < 48) out.collect(r); }))],
    ['operator.stateless', 'process (half to a side output)', instance((s) => s.process<R>((r, ctx, out) => { if (r.v < 48) out.collect(r); else ctx.output(big, r); }), false, ['big'])],
    ['operator.keyed-rolling', 'reduce (hand-written sum)', instance((s) => (s as unknown as KeyedStream<R, number>).reduce((a, b) => ({ ...a, v: a.v + b.v })), true)],
    ['operator.keyed-rolling', 'sum(field)', instance((s) => (s as unknown as KeyedStream<R, number>).sum('v'), true)],
    ['operator.keyed-rolling', 'reduce (hand-written maxBy)', instance((s) => (s as unknown as KeyedStream<R, number>).reduce((a, b) => (b.v > a.v ? b : a)), true)],
    ['operator.keyed-rolling', 'maxBy(field)', instance((s) => (s as unknown as KeyedStream<R, number>).maxBy('v'), true)],
  ];
  const bench = new Bench({ name: 'operators', time: 1500, warmupTime: 300, throws: true });
  for (const [, engine, { op }] of cases) {
    bench.add(engine, () => {
      for (let i = 0; i < BATCH; i++) op.push(records[i]!);
    });
  }
  await bench.run();
  const results = cases.map(([benchmark, engine, { out }]) => row(bench.getTask(engine)!, benchmark, engine, { recordsOut: out.n }));
  emitReport(results, target);
}

await main();
