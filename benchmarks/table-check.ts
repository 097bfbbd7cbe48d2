// Runs on: the benchmark's main thread. What the LevelDB table check costs a run that opens a state directory
// (core/checkpoint/leveldb-table-check.ts): every live table read and each block's CRC-32C computed.
//
//   node --import tsx benchmarks/table-check.ts [--json [PATH]] [--quick] [--rounds N] [--mib N]
//
// The state directory: keyed chunks of random bytes (packed typed columns do not compress) written through
// CheckpointStore as checkpoints write them, then closed and opened again, so LevelDB holds them in tables; 64 MiB
// (8 with --quick, or --mib N). The files are in the page cache: what is measured is the CPU, not the disk.
// - state-dir.table-check: chunks of 256 KiB (a block each); .small-chunks: of 2 KiB (LevelDB's 4 KiB blocks
//   hold two, the most blocks a MiB). sluice = checkStateTables over the directory; handwritten = reading the same
//   table files in 1 MiB reads and nothing else (the floor any check has to pay). events/s is MiB/s.
// - crc32c.1mib: CRC-32C of 1 MiB, sluice = slicing-by-8 (the fast path), sluice.byte-loop = one byte a step.
// Interleaved in rounds (micro.ts measure). outputRows / outputChecksum: tables and bytes read, or the CRC, which
// the rows of a benchmark must agree on.

import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointStore, pad } from '../core/checkpoint/store.js';
import { checkStateTables } from '../core/checkpoint/leveldb-table-check.js';
import { currentManifest, liveTables } from '../core/checkpoint/leveldb-live-tables.js';
import { crc32c } from '../core/checkpoint/crc32c.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const MIB = 1024 * 1024;

async function writeStateDir(dir: string, mib: number, chunk: number): Promise<void> {
  let store = await CheckpointStore.open(dir);
  const bytes = new Uint8Array(chunk);
  for (let i = 0; i < (mib * MIB) / chunk; i++) {
    randomFillSync(bytes);
    await store.putChunk(`k/${pad(1 + (i >> 6))}/count/${i & 63}`, bytes);
  }
  await store.close();
  store = await CheckpointStore.open(dir);
  await store.close();
}

/** Reads every live table of `dir` in 1 MiB reads; returns tables and bytes read. */
async function readTables(dir: string, buf: Uint8Array): Promise<{ tables: number; bytes: number }> {
  const tables = liveTables(dir, currentManifest(dir)!);
  let bytes = 0;
  for (const t of tables) {
    const fh = await open(join(dir, `${String(t.number).padStart(6, '0')}.ldb`), 'r');
    try {
      for (let at = 0; ; ) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, at);
        if (bytesRead === 0) break;
        at += bytesRead;
        bytes += bytesRead;
      }
    } finally {
      await fh.close();
    }
  }
  return { tables: tables.length, bytes };
}

function tablesChecksum(r: { tables: number; bytes: number }): Checksum {
  const c = new Checksum();
  c.add(r.tables, r.bytes);
  return c;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const m = argv.indexOf('--mib');
  const mib = m >= 0 ? Math.max(1, Number(argv[m + 1]) || 64) : argv.includes('--quick') ? 8 : 64;
  const root = mkdtempSync(join(tmpdir(), 'sluice-bench-table-check-'));
  try {
    const buf = new Uint8Array(MIB);
    const results: BenchResult[] = [];
    for (const [benchmark, chunk] of [['state-dir.table-check', 256 * 1024], ['state-dir.table-check.small-chunks', 2048]] as const) {
      const dir = join(root, benchmark);
      await writeStateDir(dir, mib, chunk);
      const checked = await checkStateTables(dir);
      const read = await readTables(dir, buf);
      const sizeMiB = checked.bytes / MIB;
      const rows = await measure(benchmark, [
        ['sluice', () => checkStateTables(dir).then(() => {})],
        ['handwritten', () => readTables(dir, buf).then(() => {})],
      ], times);
      const extra = { tables: checked.tables, stateMiB: Number(sizeMiB.toFixed(1)), chunkBytes: chunk, unit: 'MiB' };
      results.push(
        taskRow(rows.get('sluice')!, benchmark, 'sluice', sizeMiB, tablesChecksum(checked), extra),
        taskRow(rows.get('handwritten')!, benchmark, 'handwritten', sizeMiB, tablesChecksum(read), extra),
      );
    }

    const data = randomFillSync(new Uint8Array(MIB));
    const crcs = [['sluice', true], ['sluice.byte-loop', false]] as const;
    const crcRows = await measure('crc32c', crcs.map(([name, sliced]) => [name, () => { crc32c(data, 0, data.length, 0, sliced); }] as const), times);
    const crcCheck = (sliced: boolean): Checksum => {
      const c = new Checksum();
      c.add(crc32c(data, 0, data.length, 0, sliced));
      return c;
    };

    results.push(...crcs.map(([name, sliced]) => taskRow(crcRows.get(name)!, 'crc32c.1mib', name, 1, crcCheck(sliced), { unit: 'MiB' })));
    emitReport(results, target);
    printRatios(results, (e) => e === 'handwritten' || e === 'sluice.byte-loop');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
