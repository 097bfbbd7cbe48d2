// Runs on: the benchmark's main thread. Snapshots of keyed state through its handles, by kind: what a checkpoint
// of value state, of small lists, of a list that grows by appends and of a big map with one change costs on the
// task's thread, and how many bytes it writes. The growth rows show the cost per checkpoint as the state grows:
// with list and map patches a delta writes what changed; a chain still ends in a full chunk at its group's turn.
//
//   node --import tsx benchmarks/collection-snapshots.ts [--json [PATH]] [--quick] [--rounds N] [--against DIR]
//
// The batch rows (value, small lists, map puts: a batch of writes, then a snapshot) run interleaved in rounds, the
// order rotated (micro.ts measure: 5 rounds, or --rounds N); each figure is the median over rounds of a round's
// median sample. --against DIR: the batch rows run on DIR's KeyedStateBackend too (another checkout, e.g. a git
// worktree of the base commit with node_modules linked), interleaved with this one's, as engine `sluice.against`;
// each row's ratio to it goes to stderr.

import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { KeyedStateBackend } from '../core/state/keyed-state-backend.js';
import { emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';
import { benchTimes, measure, printRatios, taskRow } from './micro.js';

const KEYS = 200_000;
const BATCH = 10_000;
/** Keys of the map-puts row: maps of up to 16 entries, most of 8 or more (patched). */
const MAP_KEYS = 4096;
const CLOCKS = { processing: () => 0, event: () => 0 };

/** A pseudo-random key sequence. */
const keys = new Int32Array(BATCH);
for (let i = 0, x = 12345; i < BATCH; i++) { x = (Math.imul(x, 1103515245) + 12345) | 0; keys[i] = (x >>> 8) % KEYS; }

const bytesOf = (s: { chunks: { bytes: Uint8Array }[] }): number => s.chunks.reduce((n, c) => n + c.bytes.length, 0);

type Backend = typeof KeyedStateBackend;

/** A batch row's sample: writes, then a snapshot; and the bytes its last snapshot wrote. */
interface BatchTask { run(): void; bytes: number }

/** The batch rows on one backend class: each task keeps its state between samples, as a job's would. */
function batchTasks(K: Backend): Record<'value' | 'small-lists' | 'map-puts', BatchTask> {
  const snap = (b: KeyedStateBackend, t: BatchTask): void => {
    const s = b.snapshot(false);
    t.bytes = bytesOf(s);
  };
  // Value state and small lists (at most 4 elements: a fifth replaces the list): update a batch, snapshot it.
  const values = new K('bench', 128, true, CLOCKS);
  const value = values.valueState<{ key: number; sum: number }>('v');
  for (let k = 0; k < KEYS; k++) { values.currentKey = k; value.update({ key: k, sum: 0 }); }
  values.snapshot(true);
  const lists = new K('bench', 128, true, CLOCKS);
  const list = lists.listState<number>('l');
  for (let k = 0; k < KEYS; k++) { lists.currentKey = k; list.add(k); }
  lists.snapshot(true);
  // Maps put to and read as state-handles' map row does, with checkpoints: a put to a map of 8 entries or more
  // notes its map key for the patch.
  const maps = new K('bench', 128, true, CLOCKS);
  const map = maps.mapState<number, number>('m');
  for (let k = 0; k < MAP_KEYS; k++) { maps.currentKey = k; for (let j = 0; j < 16; j++) map.put(j, j); }
  maps.snapshot(true);
  const t = (run: (self: BatchTask) => void): BatchTask => {
    const task: BatchTask = { run: () => run(task), bytes: 0 };
    return task;
  };
  let n = 0;
  return {
    value: t((self) => {
      for (let i = 0; i < BATCH; i++) {
        const k = keys[i]!;
        values.currentKey = k;
        value.update({ key: k, sum: value.value()!.sum + i });
      }
      snap(values, self);
    }),
    'small-lists': t((self) => {
      for (let i = 0; i < BATCH; i++) {
        const k = keys[i]!;
        lists.currentKey = k;
        const e = list.get();
        if (e.length >= 4) list.update([i]); else list.add(i);
      }
      snap(lists, self);
    }),
    'map-puts': t((self) => {
      for (let i = 0; i < BATCH; i++, n++) {
        maps.currentKey = keys[i]! % MAP_KEYS;
        map.put(n & 15, n);
        if (map.get((n >> 4) & 15) === undefined) throw new Error('a map entry missing');
      }
      snap(maps, self);
    }),
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
  const times = benchTimes(argv);
  const quick = argv.includes('--quick');
  const against = argv.indexOf('--against');
  const results: BenchResult[] = [];

  const engines: [string, ReturnType<typeof batchTasks>][] = [['sluice', batchTasks(KeyedStateBackend)]];
  if (against >= 0) {
    const dir = path.resolve(argv[against + 1]!);
    const other = await import(pathToFileURL(path.join(dir, 'core/state/keyed-state-backend.ts')).href) as { KeyedStateBackend: Backend };
    engines.push(['sluice.against', batchTasks(other.KeyedStateBackend)]);
  }
  const notes = {
    value: `update + snapshot of ${BATCH} of ${KEYS} keys`,
    'small-lists': `add (or replace at 4) + snapshot of ${BATCH} of ${KEYS} lists`,
    'map-puts': `put + get + snapshot, ${BATCH} on maps of 16 entries on ${MAP_KEYS} keys`,
  };
  for (const row of ['value', 'small-lists', 'map-puts'] as const) {
    const m = await measure(`snapshot.${row}`, engines.map(([name, tasks]) => [name, tasks[row].run] as const), times);
    for (const [name, tasks] of engines) {
      const task = tasks[row];
      results.push(taskRow(m.get(name)!, `snapshot.${row}`, name, BATCH, null, { bytesPerSnapshot: task.bytes, note: notes[row] }));
    }
  }

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
  if (against >= 0) printRatios(results, (e) => e === 'sluice.against');
}

await main();
