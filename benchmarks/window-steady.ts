// Runs on: the benchmark's main thread. Micro-benchmarks of the window operator's steady per-record path
// (benchmarks/window-backlog.ts measures a backlog fired at once): records arrive in time order on 1,000 keys and
// a watermark follows every 1,000 records, so windows open, fill, fire and are dropped all the time. The operator
// is built from a real job graph and pushed records by hand on this thread, as the specs do
// (spec/core/windows/harness.ts), with its fast paths on (engine `sluice`) and off (`sluice.no-fast-paths`:
// windowed.withoutFastPaths()).
//
//   npm run bench:window-steady -- [--json [PATH]] [--quick] [--only=NAME]  (NAME: part of a benchmark's name)
//
// The stream: record i has time floor(i / 10) ms; keys come in bursts: during each 200 ms a group of 100 keys is
// active (of 10 groups), each key seen every 10 ms. Windows, all a reduce (a sum per key and window):
// - window.tumbling.reduce: tumbling 1 s (the default trigger's fast path applies);
// - window.sliding.reduce: sliding 1 s every 200 ms (5 windows per record);
// - window.session.reduce: event-time sessions with a 100 ms gap (every record merges into its key's session;
//   the sessions close when their group goes quiet). Merging windows take no fast path: the ratio shows it;
// - window.tumbling.evictor: tumbling 1 s with CountEvictor.of(8) (a window keeps every element);
// - window.tumbling.combine: tumbling 1 s with combineLocally(): the local-combine operator chained into the
//   window operator that merges its partials, through a pass-through standing for the exchange between them (the
//   window operator keeps its own task context). The combiner has no switch: the flag reaches the window half.
// - window.tumbling.sparse: tumbling 1 s over another stream, one record per key and window: 10,000 keys, record i
//   at i ms (one per ms) with a pseudo-random key, the watermark 200 ms behind every 10,000 records (a periodic
//   watermark of a fast source: ~10 s of event time a step). Nearly every record opens a (key, window), registers its
//   timer and is fired and dropped alone: a window's state made and thrown away per record.
// Each sample pushes BATCH records into a long-lived operator; events/s = BATCH x median samples/s.
// The engines of a benchmark run interleaved, in rounds with their order rotated (micro.ts measure): each figure is
// the median over rounds of a round's median (or p99) sample.
// outputRows / outputChecksum: one verification pass per engine on a fresh operator, VERIFY records then the
// final watermark, folding each output's key, sum and timestamp (order-independent); on and off must agree (the
// runner, on-off-cases.ts, shared with join-keys.ts, fails otherwise).

import { StreamEnvironment } from '../core/api/environment.js';
import { CountEvictor, EventTimeSessionWindows, SlidingEventTimeWindows, TumblingEventTimeWindows } from '../core/index.js';
import type { WindowedStream } from '../core/api/windowed-stream.js';
import type { DataStream } from '../core/api/data-stream.js';
import type { Window } from '../core/windows/window.js';
import { createOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import type { Downstream, Operator } from '../core/operators/operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { MAX_WATERMARK } from '../core/time/watermark.js';
import { Checksum } from './micro.js';
import { runOnOffCases } from './on-off-cases.js';

const BATCH = 10_000;
const VERIFY = 30_000;
const WATERMARK_EVERY = 1000;

interface Ev { key: number; v: number }

/** A stream: record i's key and time, and how often a watermark (200 ms behind: `lag`) follows. */
interface Stream { key(i: number): number; ts(i: number): number; watermarkEvery: number; lag: number }

/** The default stream (see the header): 1,000 keys in bursts, 10 records per ms, the watermark 1 ms behind. */
const BURSTS: Stream = { key: (i) => (Math.floor(i / 2000) % 10) * 100 + ((i * 19) % 100), ts: (i) => Math.floor(i / 10), watermarkEvery: WATERMARK_EVERY, lag: 1 };
/** One record per key and window: 10,000 keys, one record per ms (a multiplicative hash of i spreads the keys). */
const SPARSE: Stream = { key: (i) => (Math.imul(i, 0x9e3779b1) >>> 0) % 10_000, ts: (i) => i, watermarkEvery: 10_000, lag: 200 };

type Shape = (keyed: ReturnType<ReturnType<StreamEnvironment['fromCollection']>['keyBy']>) => WindowedStream<Ev, number, Window>;

const CASES: readonly (readonly [string, (w: WindowedStream<Ev, number, Window>) => WindowedStream<Ev, number, Window>, Shape, Stream?])[] = [
  ['window.tumbling.reduce', (w) => w, (k) => k.window(TumblingEventTimeWindows.of(1000)) as never],
  ['window.sliding.reduce', (w) => w, (k) => k.window(SlidingEventTimeWindows.of(1000, 200)) as never],
  ['window.session.reduce', (w) => w, (k) => k.window(EventTimeSessionWindows.withGap(100)) as never],
  ['window.tumbling.evictor', (w) => w.evictor(CountEvictor.of(8)), (k) => k.window(TumblingEventTimeWindows.of(1000)) as never],
  ['window.tumbling.combine', (w) => w.combineLocally(), (k) => k.window(TumblingEventTimeWindows.of(1000)) as never],
  ['window.tumbling.sparse', (w) => w, (k) => k.window(TumblingEventTimeWindows.of(1000)) as never, SPARSE],
];

class Sink implements Downstream<unknown> {
  n = 0;
  check: Checksum | undefined;
  constructor(private readonly ctx: TaskContext) {}
  push(value: unknown): void {
    this.n++;
    const e = value as Ev;
    this.check?.add(e.key, e.v, this.ctx.timestamp);
  }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}

/** A window operator (with its local combiner chained in front when the job has one) fed by a stream of records. */
function steady(shape: Shape, configure: (w: WindowedStream<Ev, number, Window>) => WindowedStream<Ev, number, Window>, fastPaths: boolean, src: Stream = BURSTS): { push(n: number): void; end(): void; sink: Sink } {
  const env = new StreamEnvironment(1);
  const keyed = env.fromCollection<Ev>([]).keyBy((e) => e.key);
  const windowed = configure(shape(keyed as never));
  const stream: DataStream<Ev> = (fastPaths ? windowed : windowed.withoutFastPaths()).reduce((a, b) => ({ key: a.key, v: a.v + b.v }));
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  const build = { graph: env.graph, checkpointing: false };
  const companion = stream.node.companion;
  let op: Operator<unknown, unknown>;
  let sink: Sink;
  if (companion === undefined) {
    sink = new Sink(ctx);
    op = createOperator(stream.node, ctx, sink, build, operatorBuilders) as Operator<unknown, unknown>;
  } else {
    // The combiner and the window operator are two tasks (an exchange between them): the window operator has its
    // own context, whose watermark moves only when the watermark reaches it, after the partials the combiner sends
    // ahead of it (one context would make every partial late).
    const windowCtx = new TaskContext('bench-window', 0, 1, env.graph.maxParallelism);
    sink = new Sink(windowCtx);
    const window = createOperator(stream.node, windowCtx, sink, build, operatorBuilders) as Operator<unknown, unknown>;
    const exchange: Downstream<unknown> = {
      push(v) { windowCtx.timestamp = ctx.timestamp; window.push(v); },
      watermark(wm) { windowCtx.watermark = wm; window.watermark(wm); },
      idle(b) { window.idle(b); },
      finish() { window.finish(); },
    };
    op = createOperator(companion, ctx, exchange, build, operatorBuilders) as Operator<unknown, unknown>;
  }
  let i = 0;
  return {
    sink,
    push(n) {
      for (const end = i + n; i < end; i++) {
        const ts = src.ts(i);
        ctx.timestamp = ts;
        op.push({ key: src.key(i), v: i & 1023 });
        if ((i + 1) % src.watermarkEvery === 0) {
          ctx.watermark = ts - src.lag;
          op.watermark(ts - src.lag);
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

await runOnOffCases(CASES.map(([name, configure, shape, src]) => ({ name, build: (fast) => steady(shape, configure, fast, src) })), { batch: BATCH, verify: VERIFY, outputs: 'windowsFired', none: 'no window fired' });
