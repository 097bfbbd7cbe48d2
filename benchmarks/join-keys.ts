// Runs on: the benchmark's main thread. Micro-benchmarks of the join operators with many keys and about one record
// per key and side in each window or interval, the shape a user trial found at ~100 k records/s where keyed maps
// run at over 1 M/s. As window-steady.ts: the operator is built from a real job graph and pushed records by hand on
// this thread, with its fast paths on (engine `sluice`) and off (`sluice.no-fast-paths`).
//
//   npm run bench:join-keys -- [--json [PATH]] [--quick] [--only=NAME]  (NAME: part of a benchmark's name)
//
// The stream: 10,000 keys; records come in pairs, left then right, of one pseudo-random key with one timestamp
// (pair p at p ms), so every record has a partner; the watermark follows 200 ms behind every 10,000 records.
// - join.window.sparse: `a.join(b)...window(TumblingEventTimeWindows.of(1000)).apply(fn)`, ~0.1 pairs per key and
//   window: nearly every pair opens a (key, window) that fires one result and is dropped. Switch: withoutFastPaths().
// - join.window.few: the same join with the watermark 60 s behind (as join.interval.few below): a key holds ~6 open
//   windows, a new pair's window its newest, the earliest fired first.
// - join.interval.sparse: `a.keyBy(k).intervalJoin(b.keyBy(k)).between(-50, 50).process(fn)`: each right record
//   meets its left partner; each record is buffered and cleaned up by its key's timer. Switch: the run option
//   stateFastPaths (the keyed operators' switch; here set on the task context, as the task host does).
// - join.interval.few: the same join with the watermark 60 s behind (a periodic watermark of a whole job: 200 ms
//   of wall clock at 300 k records/s): a key holds ~6 records a side and as many timers, its oldest dropped by
//   each timer.
// Each sample pushes BATCH records into a long-lived operator; events/s = BATCH x median samples/s. The engines
// run interleaved, in rounds with their order rotated (micro.ts measure).
// outputRows / outputChecksum: one verification pass per engine on a fresh operator, VERIFY records (past the
// first cleanups of join.interval.few) then the final watermark, folding each output's left, right and timestamp
// (order-independent); on and off must agree (the runner, on-off-cases.ts, shared with window-steady.ts).

import { StreamEnvironment } from '../core/api/environment.js';
import { TumblingEventTimeWindows } from '../core/index.js';
import type { DataStream } from '../core/api/data-stream.js';
import { createOperator, type TwoInputOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import type { Downstream, Operator } from '../core/operators/operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { MAX_WATERMARK } from '../core/time/watermark.js';
import { Checksum } from './micro.js';
import { runOnOffCases } from './on-off-cases.js';

const BATCH = 10_000;
const VERIFY = 200_000;
const KEYS = 10_000;
const WATERMARK_EVERY = 10_000;
const LAG = 200;

interface Ev { key: number; v: number }
type Pair = readonly [number, number];

/** A job over two keyed inputs ending in a join; `fast`: the join's own switch where it has one. */
type Shape = (env: StreamEnvironment, fast: boolean) => DataStream<Pair>;

const intervalJoin: Shape = (env) => {
  const a = env.fromCollection<Ev>([]).keyBy((e) => e.key);
  const b = env.fromCollection<Ev>([]).keyBy((e) => e.key);
  return a.intervalJoin(b).between(-50, 50).process<Pair>((l, r, _ctx, out) => out.collect([l.v, r.v]));
};

const windowJoin: Shape = (env, fast) => {
  const w = env.fromCollection<Ev>([]).join(env.fromCollection<Ev>([])).where((e) => e.key).equalTo((e) => e.key).window(TumblingEventTimeWindows.of(1000));
  return (fast ? w : w.withoutFastPaths()).apply((l, r): Pair => [l.v, r.v]);
};

/** Name, job, and how far (ms) the watermark is behind. */
const CASES: readonly (readonly [string, Shape, number])[] = [
  ['join.window.sparse', windowJoin, LAG],
  ['join.window.few', windowJoin, 60_000],
  ['join.interval.sparse', intervalJoin, LAG],
  ['join.interval.few', intervalJoin, 60_000],
];

class Sink implements Downstream<Pair> {
  n = 0;
  check: Checksum | undefined;
  constructor(private readonly ctx: TaskContext) {}
  push(value: Pair): void {
    this.n++;
    this.check?.add(value[0], value[1], this.ctx.timestamp);
  }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}

/** A join operator fed pairs of records (see the header). */
function steady(shape: Shape, fast: boolean, lag: number): { push(n: number): void; end(): void; sink: Sink } {
  const env = new StreamEnvironment(1);
  const stream = shape(env, fast);
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  ctx.stateFastPaths = fast;
  const sink = new Sink(ctx);
  const op = createOperator(stream.node, ctx, sink as Downstream<unknown>, { graph: env.graph, checkpointing: false }, operatorBuilders) as Operator<unknown, unknown>;
  const right = (op as unknown as TwoInputOperator).input2;
  let i = 0;
  return {
    sink,
    push(n) {
      for (const end = i + n; i < end; i++) {
        const p = i >>> 1;
        const ts = p;
        ctx.timestamp = ts;
        const ev: Ev = { key: (Math.imul(p, 0x9e3779b1) >>> 0) % KEYS, v: i };
        if ((i & 1) === 0) op.push(ev); else right.push(ev);
        if ((i + 1) % WATERMARK_EVERY === 0) {
          ctx.watermark = ts - lag;
          op.watermark(ts - lag);
        }
      }
    },
    end() {
      ctx.watermark = MAX_WATERMARK;
      op.watermark(MAX_WATERMARK);
      op.finish();
    },
  };
}

await runOnOffCases(CASES.map(([name, shape, lag]) => ({ name, build: (fast) => steady(shape, fast, lag) })), { batch: BATCH, verify: VERIFY, outputs: 'pairs', none: 'no pair joined' });
