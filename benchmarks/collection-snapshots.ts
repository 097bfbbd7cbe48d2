// Runs on: the benchmark's main thread. Snapshots of keyed state through its handles, by kind: what a checkpoint
// of value state, of small lists, of a list that grows by appends and of a big map with one change costs on the
// task's thread, and how many bytes it writes. The growth rows show the cost per checkpoint as the state grows:
// with list and map patches a delta writes what changed; a chain still ends in a full chunk at its group's turn.
//
//   node --import tsx benchmarks/collection-snapshots.ts [--json [PATH]] [--quick]

import { Bench, type Task } from 'tinybench';
import { KeyedStateBackend } from '../core/state/keyed-state-backend.js';
import { benchTiming, emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

const KEYS = 200_000;
const BATCH = 10_000;
const CLOCKS = { processing: () => 0, event: () => 0 };

/** A pseudo-random key sequence. */
const keys = new Int32Array(BATCH);
for (let i = 0, x = 12345; i < BATCH; i++) { x = (Math.imul(x, 1103515245) + 12345) | 0; keys[i] = (x >>> 8) % KEYS; }

const bytesOf = (s: { chunks: { bytes: Uint8Array }[] }): number => s.chunks.reduce((n, c) => n + c.bytes.length, 0);

function row(task: Task, benchmark: string, perSample: number, extra: Record<string, unknown>): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  return {
    benchmark, engine: 'sluice', parallelism: 1, repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * perSample, p50Us: (r.latency.p50 * 1000) / perSample, p99Us: (r.latency.p99 * 1000) / perSample,
    rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, ...extra,
  };
}

/** `checkpoints` snapshots of `step`'s changes: ms per snapshot (the step excluded) and bytes of the last MAX_DELTA_CHAIN. */
function growth(b: KeyedStateBackend, checkpoints: number, step: () => void): { msPerSnapshot: number; lastBytes: number[] } {
  let ms = 0;
  const bytes: number[] = [];
  for (let i = 0; i < checkpoints; i++) {
    step();
    const t0 = performance.now();
    const s = b.snapshot(false);
    ms += performance.now() - t0;
    bytes.push(bytesOf(s));
  }
  return { msPerSnapshot: ms / checkpoints, lastBytes: bytes.slice(-8) };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const target = parseJsonArg(argv);
  const timing = benchTiming(argv);
  const quick = argv.includes('--quick');
  const results: BenchResult[] = [];

  // Value state and small lists (at most 4 elements: a fifth replaces the list): update a batch, snapshot it.
  const values = new KeyedStateBackend('bench', 128, true, CLOCKS);
  const value = values.valueState<{ key: number; sum: number }>('v');
  for (let k = 0; k < KEYS; k++) { values.currentKey = k; value.update({ key: k, sum: 0 }); }
  values.snapshot(true);
  const lists = new KeyedStateBackend('bench', 128, true, CLOCKS);
  const list = lists.listState<number>('l');
  for (let k = 0; k < KEYS; k++) { lists.currentKey = k; list.add(k); }
  lists.snapshot(true);
  let valueBytes = 0;
  let listBytes = 0;
  const b = new Bench({ name: 'snapshots', ...timing, throws: true });
  b.add('value', () => {
    for (let i = 0; i < BATCH; i++) {
      const k = keys[i]!;
      values.currentKey = k;
      value.update({ key: k, sum: value.value()!.sum + i });
    }
    valueBytes = bytesOf(values.snapshot(false));
  });
  b.add('small lists', () => {
    for (let i = 0; i < BATCH; i++) {
      const k = keys[i]!;
      lists.currentKey = k;
      const e = list.get();
      if (e.length >= 4) list.update([i]); else list.add(i);
    }
    listBytes = bytesOf(lists.snapshot(false));
  });
  await b.run();
  results.push(row(b.tasks[0]!, 'snapshot.value', BATCH, { bytesPerSnapshot: valueBytes, note: `update + snapshot of ${BATCH} of ${KEYS} keys` }));
  results.push(row(b.tasks[1]!, 'snapshot.small-lists', BATCH, { bytesPerSnapshot: listBytes, note: `add (or replace at 4) + snapshot of ${BATCH} of ${KEYS} lists` }));

  // A list growing by appends on 2 keys (the trial's case), and a map of 100,000 entries with one put per checkpoint.
  const checkpoints = quick ? 40 : 120;
  const grown = new KeyedStateBackend('bench', 128, true, CLOCKS);
  const gl = grown.listState<number>('l');
  let n = 0;
  const g = growth(grown, checkpoints, () => {
    for (const k of [1, 2]) { grown.currentKey = k; for (let i = 0; i < 1000; i++) gl.add(n++); }
  });
  results.push({ benchmark: 'snapshot.growing-list', engine: 'sluice', parallelism: 1, repetitions: checkpoints, eventsPerSec: 1000 / g.msPerSnapshot, p50Us: g.msPerSnapshot * 1000, p99Us: null, rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, bytesLast8: g.lastBytes, note: `2 lists, 1,000 appended to each per checkpoint, ${checkpoints} checkpoints; eventsPerSec: snapshots/s; p50Us: mean us per snapshot` });
  const maps = new KeyedStateBackend('bench', 128, true, CLOCKS);
  const m = maps.mapState<number, number>('m');
  maps.currentKey = 'k';
  for (let i = 0; i < 100_000; i++) m.put(i, i);
  let p = 0;
  const mg = growth(maps, checkpoints, () => { maps.currentKey = 'k'; m.put(p++, -1); });
  results.push({ benchmark: 'snapshot.big-map', engine: 'sluice', parallelism: 1, repetitions: checkpoints, eventsPerSec: 1000 / mg.msPerSnapshot, p50Us: mg.msPerSnapshot * 1000, p99Us: null, rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, bytesLast8: mg.lastBytes, note: `a map of 100,000 entries, one put per checkpoint, ${checkpoints} checkpoints; eventsPerSec: snapshots/s; p50Us: mean us per snapshot` });

  emitReport(results, target);
}

await main();
