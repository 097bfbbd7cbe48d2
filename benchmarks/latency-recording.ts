// Runs on: the benchmark's main thread. What taking q1's per-event latency costs a sink thread (the Nexmark latency
// harness, benchmarks/nexmark/event-latencies.ts and latency-recorder.ts), per event:
//
//   node --import tsx benchmarks/latency-recording.ts [--json [PATH]] [--quick] [--rounds N]
//
// - latency.record: one latency into the recorder: sluice = its fast path (a count per HdrHistogram bucket, the
//   bucket from clz32), sluice.hdr-record = `fast: false` (the HdrHistogram's recordValue). Latencies as a run
//   behind its schedule sees them: mostly under 2 ms, some tens of ms, 1 in 20 past a second.
// - latency.tally: a row's whole tally (due time, checksum fold, record): sluice = arrival read once per batch of
//   BATCH rows (hold, then end), sluice.clock-per-event = the clock read per row (add).
// Interleaved in rounds (micro.ts measure). outputRows / outputChecksum: the histogram's count and percentiles, the
// same for both rows of a benchmark (the tally rows' clocks differ: their checksum is the rows' fold).

import { epochMs } from './job-generator.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';
import { EventLatencyTally } from './nexmark/event-latencies.js';
import { LatencyRecorder } from './nexmark/latency-recorder.js';
import type { Q1Row } from './nexmark/queries.js';

const N = 10_000;
/** A chained source's read, at the task loop's budget's scale. */
const BATCH = 256;

function latencies(): Float64Array {
  const out = new Float64Array(N);
  let s = 12345;
  const next = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 4294967296; };
  for (let i = 0; i < N; i++) {
    const r = next();
    out[i] = r < 0.85 ? next() * 2 : r < 0.95 ? 2 + next() * 60 : 1000 + next() * 2000;
  }
  return out;
}

function histogramCheck(r: LatencyRecorder): Checksum {
  const h = r.histogram();
  const c = new Checksum();
  c.add(h.totalCount, h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9));
  return c;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const ms = latencies();
  const results: BenchResult[] = [];

  const recorders = [['sluice', new LatencyRecorder(true)], ['sluice.hdr-record', new LatencyRecorder(false)]] as const;
  const recordRows = await measure('latency.record', recorders.map(([name, r]) => [name, () => { for (let i = 0; i < N; i++) r.recordMs(ms[i]!); }] as const), times);
  const checks = recorders.map(([name]) => {
    const r = new LatencyRecorder(name === 'sluice');
    for (let i = 0; i < N; i++) r.recordMs(ms[i]!);
    return histogramCheck(r);
  });
  results.push(...recorders.map(([name], k) => taskRow(recordRows.get(name)!, 'latency.record', name, N, checks[k]!)));

  const rows: Q1Row[] = Array.from({ length: N }, (_, i) => ({ auction: 1000 + i, bidder: 2000 + i, price: i * 0.908, dateTime: 1_700_000_000_000 + i, extra: '' }));
  const batched = new EventLatencyTally(0);
  const perEvent = new EventLatencyTally(0);
  const tallyRows = await measure('latency.tally', [
    ['sluice', () => {
      const due = epochMs() - 1;
      for (let i = 0; i < N; i += BATCH) {
        const end = Math.min(N, i + BATCH);
        for (let k = i; k < end; k++) batched.hold(rows[k]!, due, 0);
        batched.end(epochMs());
      }
    }],
    ['sluice.clock-per-event', () => {
      const due = epochMs() - 1;
      for (let k = 0; k < N; k++) perEvent.add(rows[k]!, epochMs(), due, 0);
    }],
  ], times);
  const fold = (t: EventLatencyTally): Checksum => {
    const c = new Checksum();
    const p = t.part();
    c.add(p.rows % N, p.checksum >>> 0);
    return c;
  };
  const once = new EventLatencyTally(0);
  for (let k = 0; k < N; k++) once.add(rows[k]!, 1, 0, 0);
  const check = fold(once);
  results.push(
    taskRow(tallyRows.get('sluice')!, 'latency.tally', 'sluice', N, check, { batch: BATCH }),
    taskRow(tallyRows.get('sluice.clock-per-event')!, 'latency.tally', 'sluice.clock-per-event', N, check),
  );
  emitReport(results, target);
  printRatios(results, (e) => e === 'sluice.hdr-record' || e === 'sluice.clock-per-event');
}

await main();
