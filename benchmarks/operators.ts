// Runs on: the benchmark's main thread. Micro-benchmarks of the per-record paths of chained operators, each built
// from a real job graph and pushed records by hand (no rings, no threads): the stateless ones (map, filter,
// flatMap both ways, and process on a stream that is not keyed, with and without side outputs), and keyed rolling
// reduces written by hand against the field aggregations that do the same (sum, maxBy); and the two-input operators
// (keyed co-process, plain broadcast process, interval join, window join), records on both inputs.
//
//   npm run bench:operators -- [--json [PATH]] [--quick]
//
// Per-record figures: each sample pushes BATCH records; events/s = BATCH x median batches/s.
// Engines follow benchmarks' shared naming (sluice.<operator>, handwritten for the reduce functions written by
// hand), the description in `variant`. The stateless rows are different jobs (no outputRows). The keyed rolling
// pairs (operator.keyed-rolling.sum, .max-by) do the same job: their outputRows and
// outputChecksum come from one pass of the batch through a fresh instance of each, folded over every field of
// every record it emitted (the timed samples keep pushing into the same state, so their outputs run on).

import { Bench, type Task } from 'tinybench';
import { MapStateDescriptor, OutputTag, StreamEnvironment, TumblingEventTimeWindows, type DataStream, type KeyedStream } from '../core/index.js';
import type { TwoInputOperator } from '../core/operators/create-operator.js';
import { createOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import type { Downstream, Operator } from '../core/operators/operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { hex32 } from './job-generator.js';
import { benchTiming, emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

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

type Define = (s: DataStream<R>) => Pick<DataStream<unknown>, 'node'>;

function instance<D extends Downstream<unknown> = Counter>(define: Define, keyed = false, sideTags: string[] = [], out: D = new Counter() as unknown as D): { op: Operator<R, unknown>; out: D } {
  const env = new StreamEnvironment(1);
  const src = env.fromCollection<R>([]);
  const stream = keyed ? define(src.keyBy((r) => r.k) as unknown as DataStream<R>) : define(src);
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  const op = createOperator(stream.node, ctx, out, { graph: env.graph, checkpointing: false }, operatorBuilders) as Operator<R, unknown>;
  for (const tag of sideTags) (op as unknown as { sideOutputs: Map<string, Downstream<unknown>> }).sideOutputs.set(tag, new Counter());
  return { op, out };
}

/** Folds every field of every record it receives (k, v, tag) in arrival order, in 32-bit integer arithmetic. */
class Folder implements Downstream<unknown> {
  n = 0;
  h = 0x811c9dc5;
  push(value: unknown): void {
    const r = value as R;
    this.n++;
    let h = Math.imul(this.h ^ r.k, 0x01000193);
    h = Math.imul(h ^ r.v, 0x01000193);
    h = Math.imul(h ^ r.tag.length, 0x01000193);
    for (let i = 0; i < r.tag.length; i++) h = Math.imul(h ^ r.tag.charCodeAt(i), 0x01000193);
    this.h = h;
  }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}

/**
 * The two-input rows: each a job of its own (no outputRows), its batch half on each input (the broadcast one: 1 in
 * 16), with timestamps and, for the joins, watermarks that fire windows and evict state as they go.
 */
function twoInputCases(): { engine: string; variant: string; op: Operator<R, unknown>; out: Counter; batch: () => void }[] {
  const D = new MapStateDescriptor<number, number>('d');
  const build = (define: (a: DataStream<R>, b: DataStream<R>) => Pick<DataStream<unknown>, 'node'>) => {
    const env = new StreamEnvironment(1);
    const stream = define(env.fromCollection<R>([]), env.fromCollection<R>([]));
    const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
    const out = new Counter();
    const op = createOperator(stream.node, ctx, out, { graph: env.graph, checkpointing: false }, operatorBuilders) as Operator<R, unknown>;
    return { op, ctx, out, in2: (op as unknown as TwoInputOperator).input2 };
  };
  /** Both inputs, the same record on each per ms of event time (so keys meet); a watermark `lag` ms behind every `every` ms. */
  const timed = (c: ReturnType<typeof build>, every: number, lag: number): (() => void) => {
    let t = 0;
    return () => {
      for (let i = 0; i < BATCH; i += 2) {
        t++;
        c.ctx.timestamp = t; c.op.push(records[i]!);
        c.ctx.timestamp = t; c.in2.push(records[i]!);
        if (t % every === 0) { c.ctx.watermark = t - lag; c.op.watermark(t - lag); }
      }
    };
  };
  const co = build((a, b) => a.connect(b).keyBy((r) => r.k, (r) => r.k).process<R>({ processElement1(r, _c, o) { o.collect(r); }, processElement2(r, _c, o) { o.collect(r); } }));
  const bc = build((a, b) => a.connect(b.broadcast(D)).process<R>({ processElement(r, _c, o) { o.collect(r); }, processBroadcastElement(r, c) { c.getBroadcastState(D).put(r.k % 10, r.v); } }));
  const ij = build((a, b) => a.keyBy((r) => r.k % 100).intervalJoin(b.keyBy((r) => r.k % 100)).between(-50, 50).process<R>((l, r, _c, o) => o.collect({ k: l.k, v: l.v + r.v, tag: l.tag })));
  const wj = build((a, b) => a.join(b).where((r) => r.k % 20).equalTo((r) => r.k % 20).window(TumblingEventTimeWindows.of(200)).apply((l, r) => ({ k: l.k, v: l.v + r.v, tag: l.tag })));
  return [
    { engine: 'sluice.co-process', variant: 'keyed co-process (each record out)', ...co, batch: () => { for (let i = 0; i < BATCH; i += 2) { co.op.push(records[i]!); co.in2.push(records[i + 1]!); } } },
    { engine: 'sluice.broadcast-process', variant: 'broadcast process (1 in 16 broadcast, into the state)', ...bc, batch: () => { for (let i = 0; i < BATCH; i++) { if ((i & 15) === 0) bc.in2.push(records[i]!); else bc.op.push(records[i]!); } } },
    { engine: 'sluice.interval-join', variant: 'interval join [-50, 50] ms, 50 keys (~2 pairs a record)', ...ij, batch: timed(ij, 64, 60) },
    { engine: 'sluice.window-join', variant: 'tumbling 200 ms window join, 10 keys (~10 pairs a record)', ...wj, batch: timed(wj, 200, 1) },
  ];
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
  const timing = benchTiming(process.argv.slice(2));
  const big = new OutputTag<R>('big');
  const keyed = (f: (s: KeyedStream<R, number>) => Pick<DataStream<unknown>, 'node'>): Define => (s) => f(s as unknown as KeyedStream<R, number>);
  // [benchmark, engine, variant, definition, keyed, side output tags]
  const defs: [string, string, string, Define, boolean, string[]][] = [
    ['operator.stateless', 'sluice.map', 'map', (s) => s.map((r) => ({ k: r.k, v: r.v + 1, tag: r.tag })), false, []],
    ['operator.stateless', 'sluice.filter', 'filter', (s) => s.filter((r) => r.v < 48), false, []],
    ['operator.stateless', 'sluice.flatMap-array', 'flatMap (returns an array)', (s) => s.flatMap((r) => (r.v < 48 ? [r] : [])), false, []],
    ['operator.stateless', 'sluice.flatMap-collect', 'flatMap (out.collect)', (s) => s.flatMap<R>((r, out) => { if (r.v < 48) out.collect(r); }), false, []],
    ['operator.stateless', 'sluice.process', 'process (main output)', (s) => s.process<R>((r, _ctx, out) => { if (r.v < 48) out.collect(r); }), false, []],
    ['operator.stateless', 'sluice.process-side-output', 'process (half to a side output)', (s) => s.process<R>((r, ctx, out) => { if (r.v < 48) out.collect(r); else ctx.output(big, r); }), false, ['big']],
    // The same job twice: a rolling sum per key, by a reduce function written by hand and by sum('v').
    ['operator.keyed-rolling.sum', 'handwritten', 'reduce (hand-written sum)', keyed((k) => k.reduce((a, b) => ({ ...a, v: a.v + b.v }))), true, []],
    ['operator.keyed-rolling.sum', 'sluice.sum-field', 'sum(field)', keyed((k) => k.sum('v')), true, []],
    // And a rolling maximum per key (the first record of the largest v kept).
    ['operator.keyed-rolling.max-by', 'handwritten', 'reduce (hand-written maxBy)', keyed((k) => k.reduce((a, b) => (b.v > a.v ? b : a))), true, []],
    ['operator.keyed-rolling.max-by', 'sluice.max-by-field', 'maxBy(field)', keyed((k) => k.maxBy('v')), true, []],
  ];
  const cases = defs.map(([benchmark, engine, variant, define, isKeyed, tags]) => ({ benchmark, engine, variant, task: `${benchmark} ${engine}`, ...instance(define, isKeyed, tags) }));
  const bench = new Bench({ name: 'operators', ...timing, throws: true });
  for (const { task, op } of cases) {
    bench.add(task, () => {
      for (let i = 0; i < BATCH; i++) op.push(records[i]!);
    });
  }
  const twoInput = twoInputCases();
  for (const c of twoInput) bench.add(`operator.two-input ${c.engine}`, c.batch);
  await bench.run();
  const results = cases.map(({ benchmark, engine, variant, task, out }, i) => {
    // The stateless rows are different jobs (map keeps every record, the rest half): nothing to compare.
    if (benchmark === 'operator.stateless') return row(bench.getTask(task)!, benchmark, engine, { variant, recordsOut: out.n });
    // One pass of the batch through a fresh instance: what the job outputs, to compare engines on.
    const [, , , define, isKeyed, tags] = defs[i]!;
    const check = instance(define, isKeyed, tags, new Folder());
    for (let j = 0; j < BATCH; j++) check.op.push(records[j]!);
    return row(bench.getTask(task)!, benchmark, engine, { variant, recordsOut: out.n, outputRows: check.out.n, outputChecksum: hex32(check.out.h) });
  });
  for (const c of twoInput) results.push(row(bench.getTask(`operator.two-input ${c.engine}`)!, 'operator.two-input', c.engine, { variant: c.variant, recordsOut: c.out.n }));
  // Rows of one job on several engines must agree (the shared rule): say so loudly, exit 1.
  for (const r of results) {
    if (r.outputRows === null) continue;
    const other = results.find((x) => x.benchmark === r.benchmark && x.engine !== r.engine);
    if (other !== undefined && (other.outputRows !== r.outputRows || other.outputChecksum !== r.outputChecksum)) {
      process.stderr.write(`OUTPUT MISMATCH ${r.benchmark}: ${r.engine} ${r.outputRows}/${r.outputChecksum} != ${other.engine} ${other.outputRows}/${other.outputChecksum}\n`);
      process.exitCode = 1;
    }
  }
  emitReport(results, target);
}

await main();
