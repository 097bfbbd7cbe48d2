// Runs on: the benchmark's main thread. Micro-benchmarks of a keyed process function's per-key work, through the
// real KeyedProcessOperator (its keyed state backend, state tables, timer service and timer heap), one thread:
//
// - keyed.q4: Nexmark q4's winners function (sluice-queries.ts q4Winners: the keyed plan, run with prefilter false) over the suite's own
//   generated events, projected as q4 projects them. Per auction: a first record that sets its state and registers
//   its end timer, ~15 bids reading (and now and then updating) it, the end timer firing and registering the retain
//   timer, which fires and clears it; bids ahead of their auction wait in a second state with a sweep timer. A
//   watermark every WATERMARK_EVERY records, as the job's periodic watermark lets timers fire in bursts.
// - keyed.timers: keys holding several timers at once (hop windows by hand: a record registers the ends of the
//   HOPS windows holding it, most already held by the key), a count per key, each timer firing reads it and the
//   last clears it.
//
//   npm run bench:keyed-process -- [--json [PATH]] [--quick] [--rounds N]
//
// Engines: `sluice` (keyed state's fast paths on, RunOptions.stateFastPaths) and `sluice.no-fast-paths` (off), measured
// interleaved in rounds (micro.ts measure); change tracking off, as a job without checkpoints. Each sample pushes
// BATCH records; events/s = BATCH x median samples/s. The input runs on without end: once the generated events are
// used up they come again with their times and auction ids moved past everything before (so no state is reused).
// outputRows / outputChecksum: a verification run of VERIFY records per engine on fresh operators, before timing.

import { KeyedProcessOperator } from '../core/operators/keyed-process-operator.js';
import { TaskContext } from '../core/operators/task-context.js';
import type { Downstream } from '../core/operators/operator.js';
import type { KeyedProcessHandler } from '../core/api/functions.js';
import { nexmarkConfig, maxOutOfOrdernessMs } from './nexmark/config.js';
import { nexmarkEvents } from './nexmark/generator.js';
import { q4Winners, type ClosedAuction, type Q4Input } from './nexmark/sluice-queries.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const BATCH = 10_000;
const VERIFY = 400_000;
/** Source events generated for keyed.q4 (about 94% reach the winners: bids and auctions). */
const Q4_EVENTS = 600_000;
const WATERMARK_EVERY = 4096;

class CountingSink<T> implements Downstream<T> {
  check: Checksum | undefined;
  n = 0;
  constructor(private readonly fold: (v: T) => number[]) {}
  push(v: T): void { this.n++; this.check?.add(...this.fold(v)); }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}

/** q4's projected records in columns: auction id, price (NaN: an auction), category, expires, event time. */
interface Q4Columns { auction: Float64Array; price: Float64Array; category: Float64Array; expires: Float64Array; ts: Float64Array; n: number; span: number; ids: number }

function q4Columns(): Q4Columns {
  const config = nexmarkConfig({ events: Q4_EVENTS });
  const cols = { auction: new Float64Array(Q4_EVENTS), price: new Float64Array(Q4_EVENTS), category: new Float64Array(Q4_EVENTS), expires: new Float64Array(Q4_EVENTS), ts: new Float64Array(Q4_EVENTS), n: 0, span: 0, ids: 0 };
  let n = 0;
  let first = NaN;
  let last = 0;
  for (const e of nexmarkEvents(config)) {
    if (e.kind === 'person') continue;
    if (first !== first) first = e.dateTime;
    cols.ts[n] = e.dateTime;
    if (e.kind === 'bid') {
      cols.auction[n] = e.auction; cols.price[n] = e.price; cols.category[n] = NaN; cols.expires[n] = NaN;
    } else {
      cols.auction[n] = e.id; cols.price[n] = NaN; cols.category[n] = e.category; cols.expires[n] = e.expires;
      last = Math.max(last, e.expires);
    }
    cols.ids = Math.max(cols.ids, cols.auction[n]! + 1);
    last = Math.max(last, e.dateTime);
    n++;
  }
  cols.n = n;
  // The next pass starts after every timer of this one (expiry, retain, sweep) could have fired.
  cols.span = last - first + 100_000;
  return cols;
}

interface Driver { run(records: number): void; sink: CountingSink<unknown> }

function q4Driver(cols: Q4Columns, fastPaths: boolean): Driver {
  const config = nexmarkConfig({ events: Q4_EVENTS });
  const sweepMs = Math.max(1, Math.round(1_000_000 / config.eventsPerSec));
  const bound = maxOutOfOrdernessMs(config);
  const ctx = new TaskContext('q4', 0, 1, 128);
  ctx.stateFastPaths = fastPaths;
  const sink = new CountingSink<ClosedAuction>((c) => [c.category, c.price]);
  const op = new KeyedProcessOperator<number, Q4Input, ClosedAuction>('q4.winners', ctx, sink, (x) => x.auction, q4Winners(sweepMs, 10 * sweepMs), false);
  op.open();
  let i = 0;
  let pass = 0;
  let maxTs = -Infinity;
  let sinceWatermark = 0;
  return {
    sink: sink as CountingSink<unknown>,
    run(records) {
      for (let r = 0; r < records; r++) {
        if (i === cols.n) { i = 0; pass++; }
        const dt = pass * cols.span;
        const key = cols.auction[i]! + pass * cols.ids;
        const price = cols.price[i]!;
        const ts = cols.ts[i]! + dt;
        // A fresh object per record, as a decoder makes one.
        const x: Q4Input = price === price
          ? { auction: key, price, category: undefined, expires: undefined }
          : { auction: key, price: undefined, category: cols.category[i]!, expires: cols.expires[i]! + dt };
        ctx.timestamp = ts;
        op.push(x);
        if (ts > maxTs) maxTs = ts;
        i++;
        if (++sinceWatermark === WATERMARK_EVERY) {
          sinceWatermark = 0;
          const w = maxTs - bound - 1;
          if (w > ctx.watermark) { ctx.watermark = w; op.watermark(w); }
        }
      }
    },
  };
}

/** Hop windows by hand: HOPS windows of HOPS x SLIDE_MS hold each record. */
const HOPS = 4;
const SLIDE_MS = 100;
const TIMER_KEYS = 2048;

const hopCounts: KeyedProcessHandler<number, { key: number }, { key: number; end: number; n: number }> = {
  processElement(_x, ctx) {
    const count = ctx.state<number>('count');
    count.update((count.value() ?? 0) + 1);
    const firstEnd = (Math.floor(ctx.timestamp! / SLIDE_MS) + 1) * SLIDE_MS - 1;
    for (let j = 0; j < HOPS; j++) ctx.timerService.registerEventTimeTimer(firstEnd + j * SLIDE_MS);
    ctx.state<number>('last').update(firstEnd + (HOPS - 1) * SLIDE_MS);
  },
  onTimer(t, ctx, out) {
    const n = ctx.state<number>('count').value() ?? 0;
    out.collect({ key: ctx.key, end: t, n });
    const last = ctx.state<number>('last');
    if (last.value() === t) { last.clear(); ctx.state<number>('count').clear(); }
  },
};

function timersDriver(fastPaths: boolean): Driver {
  const ctx = new TaskContext('timers', 0, 1, 128);
  ctx.stateFastPaths = fastPaths;
  const sink = new CountingSink<{ key: number; end: number; n: number }>((o) => [o.key, o.end, o.n]);
  const op = new KeyedProcessOperator<number, { key: number }, { key: number; end: number; n: number }>('hops', ctx, sink, (x) => x.key, hopCounts, false);
  op.open();
  let n = 0;
  let x = 12345;
  return {
    sink: sink as CountingSink<unknown>,
    run(records) {
      for (let r = 0; r < records; r++) {
        x = (Math.imul(x, 1103515245) + 12345) | 0;
        // Ten records a millisecond: a key gets one about every 200 ms, two slides.
        const ts = Math.floor(n / 10);
        ctx.timestamp = ts;
        op.push({ key: (x >>> 8) % TIMER_KEYS });
        if (++n % WATERMARK_EVERY === 0) { ctx.watermark = ts - 1; op.watermark(ts - 1); }
      }
    },
  };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const results: BenchResult[] = [];
  const cols = q4Columns();
  const engines = [['sluice', true], ['sluice.no-fast-paths', false]] as const;
  const cases = [
    ['keyed.q4', (fast: boolean) => q4Driver(cols, fast), 'q4Winners over Nexmark events (bids and auctions), a watermark every 4096 records'],
    ['keyed.timers', (fast: boolean) => timersDriver(fast), `${TIMER_KEYS} keys, each record registering the ends of its ${HOPS} hop windows; a count per key`],
  ] as const;
  for (const [benchmark, make, note] of cases) {
    const checks = engines.map(([, fast]) => {
      const d = make(fast);
      const c = new Checksum();
      d.sink.check = c;
      d.run(VERIFY);
      return c;
    });
    if (checks[0]!.hex !== checks[1]!.hex || checks[0]!.rows !== checks[1]!.rows) throw new Error(`${benchmark}: the engines' outputs differ (${checks.map((c) => `${c.rows} rows ${c.hex}`).join(' vs ')})`);
    const m = await measure(benchmark, engines.map(([name, fast]) => {
      const d = make(fast);
      return [name, () => d.run(BATCH)] as const;
    }), times);
    engines.forEach(([name], i) => results.push(taskRow(m.get(name)!, benchmark, name, BATCH, checks[i]!, { note, verifiedRecords: VERIFY })));
  }
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.no-fast-paths');
}

await main();
