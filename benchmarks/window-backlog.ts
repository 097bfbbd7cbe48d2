// Runs on: the benchmark's main thread. A micro-benchmark of the window operator catching up a backlog: every
// record of a key arrives before the watermark that closes its windows (a job restarting behind its input, or a
// watermark interval longer than the input takes), so the key holds thousands of open windows and then fires them
// all. Each sample pushes BACKLOG records into sliding windows (10 ms every 2 ms, one key: ~5 windows per record,
// ~BACKLOG / 2 open at once) and then the final watermark. A window operator that visits every open window per
// record or per timer is quadratic here.
//
//   npm run bench:windows -- [--json [PATH]]

import { Bench } from 'tinybench';
import { StreamEnvironment } from '../core/api/environment.js';
import { SlidingEventTimeWindows, TumblingEventTimeWindows } from '../core/index.js';
import { createOperator } from '../core/operators/create-operator.js';
import { operatorBuilders } from '../core/operators/builders.js';
import type { Downstream, Operator } from '../core/operators/operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import { MAX_WATERMARK } from '../core/time/watermark.js';
import { emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

const BACKLOG = 4000;

interface Ev { key: number; v: number }

function windowOperator(sliding: boolean, fastPaths: boolean): { op: Operator<Ev, unknown>; ctx: TaskContext; out: { n: number } } {
  const env = new StreamEnvironment(1);
  const keyed = env.fromCollection<Ev>([]).keyBy((e) => e.key);
  const windowed = keyed.window(sliding ? SlidingEventTimeWindows.of(10, 2) : TumblingEventTimeWindows.of(10));
  const stream = (fastPaths ? windowed : windowed.withoutFastPaths()).reduce((a, b) => ({ key: a.key, v: a.v + b.v }));
  const ctx = new TaskContext('bench', 0, 1, env.graph.maxParallelism);
  const out = { n: 0 };
  const sink: Downstream<unknown> = { push() { out.n++; }, watermark() {}, idle() {}, finish() {} };
  const op = createOperator(stream.node, ctx, sink, { graph: env.graph, checkpointing: false }, operatorBuilders) as Operator<Ev, unknown>;
  return { op, ctx, out };
}

function backlog(sliding: boolean, fastPaths = true): number {
  const { op, ctx, out } = windowOperator(sliding, fastPaths);
  for (let i = 0; i < BACKLOG; i++) {
    ctx.timestamp = i;
    op.push({ key: 1, v: i });
  }
  ctx.watermark = MAX_WATERMARK;
  op.watermark(MAX_WATERMARK);
  return out.n;
}

async function main(): Promise<void> {
  const target = parseJsonArg(process.argv.slice(2));
  let fired = 0;
  const bench = new Bench({ name: 'window.backlog', time: 2000, warmupTime: 300, throws: true });
  bench.add('sliding', () => { fired += backlog(true); });
  bench.add('tumbling', () => { fired += backlog(false); });
  // The window operator's fast paths off (windowed.withoutFastPaths()): a timer scans the key's windows.
  bench.add('sliding.no-fast-paths', () => { fired += backlog(true, false); });
  bench.add('tumbling.no-fast-paths', () => { fired += backlog(false, false); });
  await bench.run();
  const results: BenchResult[] = bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
    return {
      benchmark: 'window.backlog', engine: `sluice.${task.name}`, parallelism: 1, repetitions: r.latency.samplesCount,
      eventsPerSec: (1000 / r.latency.p50) * BACKLOG, p50Us: (r.latency.p50 * 1000) / BACKLOG, p99Us: (r.latency.p99 * 1000) / BACKLOG,
      rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, backlog: BACKLOG,
    };
  });
  if (fired === 0) throw new Error('no window fired');
  emitReport(results, target);
}

await main();
