// Runs on: the benchmark's main thread. A file sink's checkpoint, one subtask's part: RECORDS small records written,
// the barrier's prepareCommit (fsync of the part, directory fsync) and the main thread's commit (rename, directory
// fsync), on real files in the OS temp directory.
//
//   node --import tsx benchmarks/file-commit.ts [--json [PATH]] [--quick] [--rounds N]
//
// - sluice: the commit as the runtime makes it (with a CommitContext): after the renames it rewrites the sink's
//   record of published parts (committed-parts.ts: read, temp file, fsync, rename, directory fsync), three
//   checkpoints stored, so it holds about three entries.
// - sluice.no-record: the same commit without a context, which records nothing (as before the record).
// Interleaved in rounds (micro.ts measure); events/s: records per second; a sample is one checkpoint. Dominated by
// fsyncs: what it shows is the disk's, run on the disk a job's output would go to. outputRows / outputChecksum: the
// records of three checkpoints of each, read back from their published parts.

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RollingFileWriter, commitFileSinkTransactions } from '../core/connectors/file/rolling-file-writer.js';
import { JsonLinesEncoder } from '../core/connectors/formats/jsonl.js';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';
import { benchTimes, Checksum, measure, printRatios, taskRow } from './micro.js';

const RECORDS = 100;
const enc = new JsonLinesEncoder<{ i: number }>();

function checkpointer(dir: string, record: boolean): () => Promise<void> {
  const w = new RollingFileWriter<{ i: number }>({ dir, subtask: 0, encode: (v) => enc.encode(v), suffix: '.jsonl', rollIntervalMs: 0 });
  let id = 0;
  return async () => {
    id++;
    for (let i = 0; i < RECORDS; i++) w.write({ i });
    const tx = w.prepareCommit(id);
    const context = { checkpointId: id, sink: 'files', stored: [id - 2, id - 1, id], warnOnce: () => {} };
    await commitFileSinkTransactions([tx], record ? { names: { prefix: 'part', suffix: '.jsonl' }, context } : undefined);
  };
}

/** Three checkpoints of `record`'s commit in `dir`, then every record its published parts hold. */
async function verify(dir: string, record: boolean): Promise<Checksum> {
  const checkpoint = checkpointer(dir, record);
  for (let k = 0; k < 3; k++) await checkpoint();
  const c = new Checksum();
  for (const f of readdirSync(dir).filter((x) => !x.startsWith('.'))) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) if (l !== '') c.add((JSON.parse(l) as { i: number }).i);
  }
  return c;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const times = benchTimes(argv);
  const root = mkdtempSync(join(tmpdir(), 'sluice-bench-commit-'));
  try {
    const engines = [['sluice', true], ['sluice.no-record', false]] as const;
    const checks = await Promise.all(engines.map(([name, record]) => verify(join(root, `verify-${name}`), record)));
    const tasks = engines.map(([name, record]) => [name, checkpointer(join(root, name), record)] as const);
    const m = await measure('file-commit', tasks, times);
    const results: BenchResult[] = engines.map(([name], k) => taskRow(m.get(name)!, 'file-commit.part', name, RECORDS, checks[k]!, { records: RECORDS }));
    emitReport(results, target);
    printRatios(results, (e) => e === 'sluice.no-record');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
