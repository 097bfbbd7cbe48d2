// Runs on: the benchmark's main thread. Micro-benchmarks of the file connectors' per-record paths: framing bytes
// into lines (LF, and RFC 4180 CSV with quoted fields), decoding JSON Lines and CSV records into values, and
// encoding values for the file sink, writing them to a part file as the file sink does, each against the hand-written
// loop a user would write without sluice
// (split on '\n', JSON.parse / JSON.stringify, RFC 4180 fields parsed by hand), measured in the same run. Every
// row's outputRows and outputChecksum come from one pass before timing, folded over every field of every output
// (see Checksum); the pair of a benchmark must agree, or the benchmark says so and exits 1. sluice's paths do more:
// byte offsets and line numbers per record, strict UTF-8, quoted CSV fields, refusing values JSON would rewrite;
// the ratio says what that costs.
//
//   npm run bench:formats -- [--json [PATH]] [--quick]
//
// Per-record figures: each sample handles BATCH records; events/s = BATCH x median batches/s.

import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Bench, type Task } from 'tinybench';
import { RollingFileWriter } from '../core/connectors/file/rolling-file-writer.js';
import { LineFramer } from '../core/connectors/formats/line-framer.js';
import { JsonLinesEncoder, jsonLines } from '../core/connectors/formats/jsonl.js';
import { CsvEncoder, csv } from '../core/connectors/formats/csv.js';
import type { RecordFormat } from '../core/connectors/formats/record-format.js';
import { hex32 } from './job-generator.js';
import { benchTiming, emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

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

/** A visit of each decoded record, encoded string or framed line. */
type Visit<T> = (v: T) => void;

/** Frames `bytes` (in 64 KiB chunks, as the file reader reads) and decodes every record, visiting each. */
function frameAndDecode<T>(bytes: Buffer, format: RecordFormat<T>, visit: Visit<T>): void {
  const framer = new LineFramer(0, 1, { ...format.framing });
  const decoder = format.createDecoder();
  for (let p = 0; p < bytes.length; p += 65536) {
    framer.push(bytes.subarray(p, Math.min(bytes.length, p + 65536)));
    for (let r = framer.shift(); r !== undefined; r = framer.shift()) visit(decoder.decode(r, 'bench') as T);
  }
  framer.finish();
  for (let r = framer.shift(); r !== undefined; r = framer.shift()) visit(decoder.decode(r, 'bench') as T);
}

/** Frames only, visiting each record's bytes (without the line end). */
function frameOnly(bytes: Buffer, framing: 'line' | 'csv', visit: Visit<Uint8Array>): void {
  const framer = new LineFramer(0, 1, { framing });
  for (let p = 0; p < bytes.length; p += 65536) {
    framer.push(bytes.subarray(p, Math.min(bytes.length, p + 65536)));
    for (let r = framer.shift(); r !== undefined; r = framer.shift()) visit(r.bytes);
  }
  framer.finish();
  for (let r = framer.shift(); r !== undefined; r = framer.shift()) visit(r.bytes);
}

/**
 * The CSV decoder a capable user writes without sluice: RFC 4180 fields (quoted fields with commas, doubled
 * quotes and line breaks in them), one pass over the text, a record per line end outside quotes, fields by
 * column. What sluice's decoder does not do here is the rest: byte offsets, line numbers, strict UTF-8.
 */
function handwrittenCsv(text: string, visit: Visit<Record<string, string>>): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const rec: Record<string, string> = {};
    let col = 0;
    for (;;) {
      let value: string;
      if (text.charCodeAt(i) === 34 /* " */) {
        let parts = '';
        let from = ++i;
        for (;;) {
          const q = text.indexOf('"', from);
          if (q < 0) throw new Error('csv: unterminated quoted field');
          if (text.charCodeAt(q + 1) === 34) { parts += text.slice(i, q + 1); i = from = q + 2; continue; }
          value = parts + text.slice(i, q);
          i = q + 1;
          break;
        }
      } else {
        let j = i;
        while (j < n) { const c = text.charCodeAt(j); if (c === 44 || c === 10 || c === 13) break; j++; }
        value = text.slice(i, j);
        i = j;
      }
      rec[columns[col++]!] = value;
      const c = text.charCodeAt(i);
      if (c === 44) { i++; continue; }
      if (c === 13) i++;
      if (text.charCodeAt(i) === 10) i++;
      break;
    }
    visit(rec);
  }
}

/**
 * The checksum every row carries: folded over every field of every output, in order, in 32-bit integer
 * arithmetic; strings hashed whole (FNV-1a over UTF-16 code units), numbers by their exact bits. A decoder that
 * splits a quoted "gift, wrapped" in two, or an encoder that quotes differently, does not match.
 */
class Checksum {
  rows = 0;
  h = 0x811c9dc5;
  private readonly f64 = new Float64Array(1);
  private readonly words = new Uint32Array(this.f64.buffer);
  str(s: string): void {
    let h = Math.imul(this.h ^ s.length, 0x01000193);
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
    this.h = h;
  }
  bytes(b: Uint8Array): void {
    let h = Math.imul(this.h ^ b.length, 0x01000193);
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    this.h = h;
  }
  value(v: unknown): void {
    if (typeof v === 'string') { this.h = Math.imul(this.h ^ 1, 0x01000193); this.str(v); return; }
    if (typeof v === 'number') {
      this.f64[0] = v;
      let h = Math.imul(this.h ^ 2, 0x01000193);
      h = Math.imul(h ^ this.words[0]!, 0x01000193);
      this.h = Math.imul(h ^ this.words[1]!, 0x01000193);
      return;
    }
    this.h = Math.imul(this.h ^ 3, 0x01000193);
    this.str(JSON.stringify(v) ?? 'undefined');
  }
  record(r: Record<string, unknown>): void {
    this.rows++;
    // Every field it has, by name: the columns in order, then any others (a decoder that made up a field).
    const keys = Object.keys(r);
    this.h = Math.imul(this.h ^ keys.length, 0x01000193);
    for (const c of columns) { this.str(c); this.value(r[c]); }
    for (const k of keys) if (!(columns as readonly string[]).includes(k)) { this.str(k); this.value(r[k]); }
  }
  text(s: string): void { this.rows++; this.str(s); }
  line(b: Uint8Array): void { this.rows++; this.bytes(b); }
  get hex(): string { return hex32(this.h); }
}

function row(task: Task, benchmark: string, engine: string, check: Checksum, extra: Record<string, unknown>): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  return {
    benchmark, engine, parallelism: 1, repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * BATCH, p50Us: (r.latency.p50 * 1000) / BATCH, p99Us: (r.latency.p99 * 1000) / BATCH,
    rssMB: rssMB(), outputRows: check.rows, outputChecksum: check.hex, bytesPerRecord: null, ...extra,
  };
}

/**
 * Where the file sink cases write: tmpfs where there is one (a RAM disk, so the ratio is the writers' own, not the
 * disk's; the sink's fsync at a roll costs nothing there). Both roll to a new file at SINK_ROLL_BYTES, and the
 * files they closed are deleted between samples, untimed, so a run does not fill the disk.
 */
const SINK_ROLL_BYTES = 16 * 1024 * 1024;

/** What a file sink case writes through: one record at a time, then the end (closes and publishes what it wrote). */
interface FileWriterCase { write(o: Order): void; finish(): void }

/** The file writer a user writes without sluice: JSON.stringify lines gathered to 64 KiB, writeSync, a new file at the roll size. */
class HandwrittenFileWriter implements FileWriterCase {
  private fd = -1;
  private n = 0;
  private bytes = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  constructor(private readonly dir: string) {}
  write(o: Order): void {
    if (this.fd < 0) this.fd = openSync(join(this.dir, `out-${this.n++}.jsonl`), 'wx');
    const b = Buffer.from(`${JSON.stringify(o)}\n`);
    this.chunks.push(b);
    this.buffered += b.length;
    this.bytes += b.length;
    if (this.buffered >= 65536) this.flush();
    if (this.bytes >= SINK_ROLL_BYTES) this.close();
  }
  finish(): void { if (this.fd >= 0) this.close(); }
  private flush(): void {
    const data = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    for (let off = 0; off < data.length;) off += writeSync(this.fd, data, off, data.length - off);
  }
  private close(): void {
    if (this.buffered > 0) this.flush();
    closeSync(this.fd);
    this.fd = -1;
    this.bytes = 0;
  }
}

/**
 * A file sink case: the timed batches go to one long-lived writer in `dir/timed`; the checksum pass writes one
 * batch with a fresh writer in a directory of its own, ends it, and folds every line of the files it left.
 */
function fileCase(dir: string, make: (dir: string) => FileWriterCase): { batch: (out: Out) => void; afterEach: () => void } {
  const timedDir = join(dir, 'timed');
  mkdirSync(timedDir, { recursive: true });
  const timed = make(timedDir);
  let pass = 0;
  return {
    batch(out) {
      if (!(out instanceof Checksum)) { for (const o of orders) timed.write(o); return; }
      const d = join(dir, `check-${pass++}`);
      mkdirSync(d);
      const w = make(d);
      for (const o of orders) w.write(o);
      w.finish();
      for (const f of readdirSync(d).sort()) frameOnly(readFileSync(join(d, f)), 'line', (b) => out.line(b));
    },
    // Closed files only (the sink's pending parts, the loop's earlier files): the open one is being written.
    afterEach() {
      const files = readdirSync(timedDir);
      const open = files.filter((f) => f.endsWith('.inprogress') || /^out-\d+\.jsonl$/.test(f)).sort((a, b) => parseInt(a.slice(4), 10) - parseInt(b.slice(4), 10)).at(-1);
      for (const f of files) if (f.endsWith('.pending') || (f.startsWith('out-') && f !== open)) unlinkSync(join(timedDir, f));
    },
  };
}

/** A case's one batch, handing each output to `out`: a record (decoders), a string (encoders) or a line's bytes (framers). */
interface Out { record(r: Record<string, unknown>): void; text(s: string): void; line(b: Uint8Array): void }

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const jsonl = jsonLines<Order>();
  const csvFormat = csv({ columns: [...columns] }) as RecordFormat<Record<string, string>>;
  const jsonEncoder = new JsonLinesEncoder<Order>();
  // The timed samples' visit: touches one field or the length of each output (cheap, so the ratio is the
  // decoders' and encoders' own; the full fold over every field is the checksum pass, before timing).
  let touched = 0;
  const touch: Out = {
    record: (r) => { touched += (r.amount as string | number) === undefined ? 0 : 1; },
    text: (t) => { touched += t.length; },
    line: (b) => { touched += b.length; },
  };
  // [benchmark, engine, variant, one batch]
  const cases: [string, string, string, (out: Out) => void][] = [
    ['format.frame.line', 'sluice', 'LineFramer', (out) => frameOnly(jsonlText, 'line', (b) => out.line(b))],
    ['format.frame.line', 'handwritten', 'indexOf(\\n) over the buffer', (out) => { for (let p = 0, nl; (nl = jsonlText.indexOf(10, p)) >= 0; p = nl + 1) out.line(jsonlText.subarray(p, nl)); }],
    ['format.frame.csv', 'sluice', 'LineFramer, RFC 4180 framing', (out) => frameOnly(csvText, 'csv', (b) => out.line(b))],
    ['format.jsonl.decode', 'sluice', 'jsonLines()', (out) => frameAndDecode(jsonlText, jsonl, (o) => out.record(o as unknown as Record<string, unknown>))],
    ['format.jsonl.decode', 'handwritten', "split('\\n') + JSON.parse", (out) => { for (const line of jsonlText.toString().split('\n')) if (line.length > 0) out.record(JSON.parse(line) as Record<string, unknown>); }],
    ['format.csv.decode', 'sluice', 'csv({ columns })', (out) => frameAndDecode(csvText, csvFormat, (r) => out.record(r))],
    // RFC 4180 quoting done by hand: splitting on ',' would cut "gift, wrapped" in two.
    ['format.csv.decode', 'handwritten', 'RFC 4180 fields by hand, one pass over the text', (out) => handwrittenCsv(csvText.toString(), (r) => out.record(r))],
    ['format.jsonl.encode', 'sluice', 'JsonLinesEncoder', (out) => { for (const o of orders) out.text(jsonEncoder.encode(o)); }],
    ['format.jsonl.encode', 'handwritten', 'JSON.stringify + \\n', (out) => { for (const o of orders) out.text(`${JSON.stringify(o)}\n`); }],
    ['format.csv.encode', 'sluice', 'CsvEncoder', (out) => { for (const o of orders) out.text(csvEncoder.encode(o)); }],
    // Quotes what holds a comma or a quote, as a careful user would (enough for these records, not for line breaks).
    ['format.csv.encode', 'handwritten', 'join(\',\'), quoting fields with a comma or a quote', (out) => {
      for (const o of orders) {
        out.text(`${columns.map((c) => { const v = String(o[c]); return v.includes(',') || v.includes('"') ? `"${v.replaceAll('"', '""')}"` : v; }).join(',')}\n`);
      }
    }],
  ];
  const sinkRoot = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'sluice-bench-sink-'));
  const sinkSluice = fileCase(join(sinkRoot, 'sluice'), (d) => {
    const encoder = jsonl.createEncoder();
    // Without checkpoints (no barrier): the per-record path, buffered writes, a roll at the size.
    return new RollingFileWriter<Order>({ dir: d, subtask: 0, encode: (v) => encoder.encode(v), suffix: '.jsonl', rollBytes: SINK_ROLL_BYTES });
  });
  const sinkHand = fileCase(join(sinkRoot, 'handwritten'), (d) => new HandwrittenFileWriter(d));
  cases.push(
    ['sink.file.jsonl', 'sluice', 'RollingFileWriter (fileSink, JSON Lines), no barrier', sinkSluice.batch],
    ['sink.file.jsonl', 'handwritten', 'JSON.stringify + \\n, 64 KiB writeSync', sinkHand.batch],
  );
  const afterEach = new Map([['sink.file.jsonl sluice', sinkSluice.afterEach], ['sink.file.jsonl handwritten', sinkHand.afterEach]]);
  const checks = new Map<string, Checksum>();
  const bench = new Bench({ name: 'formats', ...benchTiming(argv), throws: true });
  for (const [benchmark, engine, , fn] of cases) {
    const name = `${benchmark} ${engine}`;
    const check = new Checksum();
    fn(check);
    checks.set(name, check);
    bench.add(name, () => { fn(touch); }, afterEach.has(name) ? { afterEach: afterEach.get(name) } : {});
  }
  try {
    await bench.run();
  } finally {
    rmSync(sinkRoot, { recursive: true, force: true });
  }
  if (touched === -1) process.stderr.write('unreachable\n');
  const rows = cases.map(([benchmark, engine, variant]) => {
    const name = `${benchmark} ${engine}`;
    return row(bench.getTask(name)!, benchmark, engine, checks.get(name)!, { variant });
  });
  // sluice's rate as a multiple of the hand-written loop's, from the same run; and the two must agree.
  for (const r of rows) {
    const base = rows.find((b) => b.benchmark === r.benchmark && b.engine === 'handwritten');
    r.vsHandwritten = r.engine === 'sluice' && base !== undefined ? Math.round((r.eventsPerSec! / base.eventsPerSec!) * 100) / 100 : null;
    if (base !== undefined && (base.outputRows !== r.outputRows || base.outputChecksum !== r.outputChecksum)) {
      process.stderr.write(`OUTPUT MISMATCH ${r.benchmark}: ${r.engine} ${r.outputRows}/${r.outputChecksum} != handwritten ${base.outputRows}/${base.outputChecksum}\n`);
      process.exitCode = 1;
    }
  }
  emitReport(rows, target);
}

await main();
