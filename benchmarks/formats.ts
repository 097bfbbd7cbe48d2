// Runs on: the benchmark's main thread. Micro-benchmarks of the file connectors' per-record paths: framing bytes
// into lines (LF, and RFC 4180 CSV with quoted fields), decoding JSON Lines and CSV records into values, and
// encoding values for the file sink, each against the hand-written loop a user would write without sluice
// (split on '\n', JSON.parse / JSON.stringify, split on ','), measured in the same run. sluice's paths do more:
// byte offsets and line numbers per record, strict UTF-8, quoted CSV fields, refusing values JSON would rewrite;
// the ratio says what that costs.
//
//   npm run bench:formats -- [--json [PATH]]
//
// Per-record figures: each sample handles BATCH records; events/s = BATCH x median batches/s.

import { Bench, type Task } from 'tinybench';
import { LineFramer } from '../core/connectors/formats/line-framer.js';
import { JsonLinesEncoder, jsonLines } from '../core/connectors/formats/jsonl.js';
import { CsvEncoder, csv } from '../core/connectors/formats/csv.js';
import type { RecordFormat } from '../core/connectors/formats/record-format.js';
import { emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

const BATCH = 10_000;

interface Order { id: number; user: string; amount: number; ts: number; note: string }
const orders: Order[] = Array.from({ length: BATCH }, (_, i) => ({
  id: i, user: `user-${(i * 7919) % 1000}`, amount: Math.round(i * 137.31) / 100, ts: 1_700_000_000_000 + i * 13,
  // Every eighth note needs CSV quoting (a comma), as real free text does now and then.
  note: i % 8 === 0 ? 'gift, wrapped' : 'standard',
}));
const columns = ['id', 'user', 'amount', 'ts', 'note'] as const;
const jsonlText = Buffer.from(orders.map((o) => `${JSON.stringify(o)}\n`).join(''));
const csvEncoder = new CsvEncoder({ columns: [...columns] });
const csvText = Buffer.from(orders.map((o) => csvEncoder.encode(o)).join(''));

/** Frames `bytes` (in 64 KiB chunks, as the file reader reads) and decodes every record; returns a fold. */
function frameAndDecode<T>(bytes: Buffer, format: RecordFormat<T>, fold: (v: T) => number): number {
  const framer = new LineFramer(0, 1, { ...format.framing });
  const decoder = format.createDecoder();
  let acc = 0;
  for (let p = 0; p < bytes.length; p += 65536) {
    framer.push(bytes.subarray(p, Math.min(bytes.length, p + 65536)));
    for (let r = framer.shift(); r !== undefined; r = framer.shift()) acc += fold(decoder.decode(r, 'bench') as T);
  }
  framer.finish();
  for (let r = framer.shift(); r !== undefined; r = framer.shift()) acc += fold(decoder.decode(r, 'bench') as T);
  return acc;
}

/** Frames only: records and their lengths. */
function frameOnly(bytes: Buffer, framing: 'line' | 'csv'): number {
  const framer = new LineFramer(0, 1, { framing });
  let acc = 0;
  for (let p = 0; p < bytes.length; p += 65536) {
    framer.push(bytes.subarray(p, Math.min(bytes.length, p + 65536)));
    for (let r = framer.shift(); r !== undefined; r = framer.shift()) acc += r.bytes.length;
  }
  return acc;
}

function row(task: Task, benchmark: string, engine: string, checksum: number): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  return {
    benchmark, engine, parallelism: 1, repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * BATCH, p50Us: (r.latency.p50 * 1000) / BATCH, p99Us: (r.latency.p99 * 1000) / BATCH,
    rssMB: rssMB(), outputRows: BATCH, outputChecksum: checksum, bytesPerRecord: null,
  };
}

async function main(): Promise<void> {
  const target = parseJsonArg(process.argv.slice(2));
  const jsonl = jsonLines<Order>();
  const csvFormat = csv({ columns: [...columns] });
  const jsonEncoder = new JsonLinesEncoder<Order>();
  const amount = (o: { amount: number | string }): number => Number(o.amount);
  // [benchmark, engine, one batch (returns a checksum)]
  const cases: [string, string, () => number][] = [
    ['format.frame.line', 'sluice', () => frameOnly(jsonlText, 'line')],
    ['format.frame.line', 'handwritten', () => { let acc = 0; for (let p = 0, nl; (nl = jsonlText.indexOf(10, p)) >= 0; p = nl + 1) acc += nl - p; return acc; }],
    ['format.frame.csv', 'sluice', () => frameOnly(csvText, 'csv')],
    ['format.jsonl.decode', 'sluice', () => frameAndDecode(jsonlText, jsonl, amount)],
    ['format.jsonl.decode', 'handwritten', () => { let acc = 0; for (const line of jsonlText.toString().split('\n')) if (line.length > 0) acc += amount(JSON.parse(line) as Order); return acc; }],
    ['format.csv.decode', 'sluice', () => frameAndDecode(csvText, csvFormat as RecordFormat<Record<string, string>>, (r) => Number(r.amount))],
    // Not equivalent: no quoted fields (it splits "gift, wrapped" in two); a floor, not an alternative.
    ['format.csv.decode', 'handwritten', () => { let acc = 0; for (const line of csvText.toString().split('\n')) if (line.length > 0) acc += Number(line.split(',')[2]); return acc; }],
    ['format.jsonl.encode', 'sluice', () => { let n = 0; for (const o of orders) n += jsonEncoder.encode(o).length; return n; }],
    ['format.jsonl.encode', 'handwritten', () => { let n = 0; for (const o of orders) n += `${JSON.stringify(o)}\n`.length; return n; }],
    ['format.csv.encode', 'sluice', () => { let n = 0; for (const o of orders) n += csvEncoder.encode(o).length; return n; }],
    // Quotes what holds a comma or a quote, as a careful user would (enough for these records, not for line breaks).
    ['format.csv.encode', 'handwritten', () => {
      let n = 0;
      for (const o of orders) {
        n += `${columns.map((c) => { const v = String(o[c]); return v.includes(',') || v.includes('"') ? `"${v.replaceAll('"', '""')}"` : v; }).join(',')}\n`.length;
      }
      return n;
    }],
  ];
  const checksums = new Map<string, number>();
  const bench = new Bench({ name: 'formats', time: 1500, warmupTime: 300, throws: true });
  for (const [benchmark, engine, fn] of cases) {
    const name = `${benchmark} ${engine}`;
    checksums.set(name, fn());
    bench.add(name, () => { fn(); });
  }
  await bench.run();
  const rows = cases.map(([benchmark, engine]) => {
    const name = `${benchmark} ${engine}`;
    return row(bench.getTask(name)!, benchmark, engine, checksums.get(name)!);
  });
  // sluice's rate as a multiple of the hand-written loop's, from the same run.
  for (const r of rows) {
    const base = rows.find((b) => b.benchmark === r.benchmark && b.engine === 'handwritten');
    r.vsHandwritten = r.engine === 'sluice' && base !== undefined ? Math.round((r.eventsPerSec! / base.eventsPerSec!) * 100) / 100 : null;
  }
  emitReport(rows, target);
}

await main();
