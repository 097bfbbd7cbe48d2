// Runs on: the benchmark's main thread. Micro-benchmarks of the keyed state paths a checkpointing job runs:
// a keyed update with change tracking on and off (the switch that checkpointing turns on), the snapshot of the
// keys changed since the last one (encoded per key group), its restore, and the store writes a checkpoint makes;
// each for values as objects (StateTable) and in typed columns (TypedStateTable, reduce's stateSchema); and
// keyed timers (TimerService) with the one-timer fast path on and off.
//
//   npm run bench:state -- [--json [PATH]] [--quick]
//
// Per-record figures: each sample runs a batch of BATCH operations; events/s = BATCH x median batches/s.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Bench, type Task } from 'tinybench';
import { KeyedStateBackend } from '../core/state/keyed-state-backend.js';
import type { StateTable } from '../core/state/state-table.js';
import { stateSchemaFields, type TypedStateTable } from '../core/state/typed-state-table.js';
import { TimerService } from '../core/state/timer-service.js';
import { recordSchema } from '../core/index.js';
import { CheckpointStore } from '../core/checkpoint/store.js';
import { benchTiming, emitReport, parseJsonArg, rssMB, type BenchResult } from './report.js';

const KEYS = 200_000;
const BATCH = 10_000;
const CLOCKS = { processing: () => Date.now(), event: () => 0 };

interface Sum { key: number; sum: number }

function filled(tracking: boolean, columns = true): { backend: KeyedStateBackend; table: StateTable<Sum> } {
  const backend = new KeyedStateBackend('bench', 128, tracking, CLOCKS, columns);
  const table = backend.table<Sum>('reduce', 'internal', undefined);
  for (let k = 0; k < KEYS; k++) table.put(k, { key: k, sum: 0 });
  if (tracking) backend.snapshot(false);
  return { backend, table };
}

const SUM_FIELDS = stateSchemaFields(recordSchema({ key: 'i64', sum: 'i64' }), 'bench');

function filledTyped(tracking: boolean): { backend: KeyedStateBackend; table: TypedStateTable<Sum> } {
  const backend = new KeyedStateBackend('bench', 128, tracking, CLOCKS, true);
  const table = backend.typedTable<Sum>('reduce', SUM_FIELDS, 'bench');
  for (let k = 0; k < KEYS; k++) table.put(k, { key: k, sum: 0 });
  if (tracking) backend.snapshot(false);
  return { backend, table };
}

function updateTyped(t: TypedStateTable<Sum>): number {
  let s = 0;
  for (let i = 0; i < BATCH; i++) {
    const k = keys[i]!;
    const v = { key: k, sum: (t.get(k)?.sum ?? 0) + i };
    t.put(k, v);
    s += v.sum;
  }
  return s;
}

/** A pseudo-random key sequence (the same in every engine). */
const keys = new Int32Array(BATCH);
for (let i = 0, x = 12345; i < BATCH; i++) { x = (Math.imul(x, 1103515245) + 12345) | 0; keys[i] = (x >>> 8) % KEYS; }

function update(t: StateTable<Sum>): number {
  let s = 0;
  for (let i = 0; i < BATCH; i++) {
    const k = keys[i]!;
    const e = t.entries.get(k);
    const v = { key: k, sum: (e?.value.sum ?? 0) + i };
    t.put(k, v);
    s += v.sum;
  }
  return s;
}

function row(task: Task, benchmark: string, engine: string, perSample: number, extra: Record<string, unknown> = {}): BenchResult {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`${task.name}: ${r.state}`);
  return {
    benchmark, engine, parallelism: 1, repetitions: r.latency.samplesCount,
    eventsPerSec: (1000 / r.latency.p50) * perSample, p50Us: (r.latency.p50 * 1000) / perSample, p99Us: (r.latency.p99 * 1000) / perSample,
    rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, ...extra,
  };
}

async function main(): Promise<void> {
  const target = parseJsonArg(process.argv.slice(2));
  const timing = benchTiming(process.argv.slice(2));
  const results: BenchResult[] = [];
  let sink = 0;

  // 1. A keyed update, change tracking off (no checkpoints) and on.
  const off = filled(false);
  const on = filled(true);
  const b1 = new Bench({ name: 'state.update', ...timing, throws: true });
  b1.add('tracking-off', () => { sink += update(off.table); });
  // Each sample starts a new snapshot epoch, as a checkpoint would, so every first write of a key is tracked.
  b1.add('tracking-on', () => { sink += update(on.table); on.backend.snapshot(false); });
  const typedOff = filledTyped(false);
  const typedOn = filledTyped(true);
  b1.add('typed tracking-off', () => { sink += updateTyped(typedOff.table); });
  b1.add('typed tracking-on', () => { sink += updateTyped(typedOn.table); typedOn.backend.snapshot(false); });
  await b1.run();
  results.push(row(b1.tasks[0]!, 'state.update', 'sluice.tracking-off', BATCH, { variant: 'objects (StateTable), change tracking off' }));
  results.push(row(b1.tasks[1]!, 'state.update', 'sluice.tracking-on', BATCH, { variant: 'objects (StateTable), change tracking on (incl. snapshot of the batch)' }));
  results.push(row(b1.tasks[2]!, 'state.update', 'sluice.typed-tracking-off', BATCH, { variant: 'typed columns (TypedStateTable), change tracking off' }));
  results.push(row(b1.tasks[3]!, 'state.update', 'sluice.typed-tracking-on', BATCH, { variant: 'typed columns (TypedStateTable), change tracking on (incl. snapshot of the batch)' }));

  // 2. Snapshots, encoded as typed columns (format 3, the default) and as msgpack rows (format 2, the switch off):
  //    of BATCH changed keys (incremental), of all KEYS (full), and the restore of a full one.
  const results2: BenchResult[] = [];
  for (const columns of [true, false]) {
    const engine = columns ? 'sluice.columns' : 'sluice.rows';
    const variant = columns ? 'objects, snapshot as typed columns (format 3, the default)' : 'objects, snapshot as msgpack rows (format 2)';
    const snap = filled(true, columns);
    let bytes = 0;
    const b2 = new Bench({ name: `state.snapshot.${engine.slice('sluice.'.length)}`, ...timing, throws: true });
    b2.add('delta', () => { update(snap.table); const s = snap.backend.snapshot(false); bytes = s.chunks.reduce((a, c) => a + c.bytes.length, 0); });
    let fullBytes = 0;
    b2.add('full', () => { const s = snap.backend.snapshot(true); fullBytes = s.chunks.reduce((a, c) => a + c.bytes.length, 0); });
    const full = filled(true, columns).backend.snapshot(true).chunks;
    b2.add('restore', () => { const b = new KeyedStateBackend('bench', 128, true, CLOCKS); b.restore(full); sink += b.entryCount; });
    await b2.run();
    results2.push(row(b2.tasks[0]!, 'state.snapshot.delta', engine, BATCH, { variant, bytesPerSnapshot: bytes, note: `update + snapshot of ${BATCH} changed keys` }));
    results2.push(row(b2.tasks[1]!, 'state.snapshot.full', engine, KEYS, { variant, bytesPerSnapshot: fullBytes, note: `${KEYS} keys` }));
    results2.push(row(b2.tasks[2]!, 'state.restore', engine, KEYS, { variant, note: `restore of ${KEYS} keys (full)` }));
  }
  {
    // Typed columns (format 3 bytes, restored into a typed table as reduce with a stateSchema does).
    const snap = filledTyped(true);
    let bytes = 0;
    let fullBytes = 0;
    const b2 = new Bench({ name: 'state.snapshot.typed', ...timing, throws: true });
    b2.add('delta', () => { updateTyped(snap.table); const s = snap.backend.snapshot(false); bytes = s.chunks.reduce((a, c) => a + c.bytes.length, 0); });
    b2.add('full', () => { const s = snap.backend.snapshot(true); fullBytes = s.chunks.reduce((a, c) => a + c.bytes.length, 0); });
    const full = filledTyped(true).backend.snapshot(true).chunks;
    b2.add('restore', () => {
      const b = new KeyedStateBackend('bench', 128, true, CLOCKS);
      b.typedTable<Sum>('reduce', SUM_FIELDS, 'bench');
      b.restore(full);
      sink += b.entryCount;
    });
    await b2.run();
    const variant = 'typed columns (TypedStateTable), format 3 bytes';
    results2.push(row(b2.tasks[0]!, 'state.snapshot.delta', 'sluice.typed', BATCH, { variant, bytesPerSnapshot: bytes, note: `update + snapshot of ${BATCH} changed keys` }));
    results2.push(row(b2.tasks[1]!, 'state.snapshot.full', 'sluice.typed', KEYS, { variant, bytesPerSnapshot: fullBytes, note: `${KEYS} keys` }));
    results2.push(row(b2.tasks[2]!, 'state.restore', 'sluice.typed', KEYS, { variant, note: `restore of ${KEYS} keys (full)` }));
  }
  results.push(...results2.sort((a, b) => a.benchmark.localeCompare(b.benchmark)));

  // 4. Timers, as a keyed process function uses them (q4's auctions): every key registers one timer LIVE ms
  //    ahead and the time then moves on by one, firing the timers due; and as a window operator does, every
  //    record registering its window's end again (found already there).
  const timerRows: BenchResult[] = [];
  {
    const LIVE = 1000;
    const b4 = new Bench({ name: 'state.timers', ...timing, throws: true });
    for (const inlineSingle of [true, false]) {
      const ts = new TimerService(new KeyedStateBackend('bench', 128, false, CLOCKS), { inlineSingle });
      let now = 0;
      let key = 0;
      const onTimer = (_k: unknown, t: number): void => { sink += t; };
      b4.add(`one-per-key ${inlineSingle}`, () => {
        for (let i = 0; i < BATCH; i++) {
          ts.register('event', key++, now + LIVE);
          ts.fire('event', now++, onTimer);
        }
      });
      const windows = new TimerService(new KeyedStateBackend('bench', 128, false, CLOCKS), { inlineSingle });
      for (let k = 0; k < KEYS; k++) windows.register('event', k, 10_000);
      b4.add(`re-register ${inlineSingle}`, () => {
        for (let i = 0; i < BATCH; i++) windows.register('event', keys[i]!, 10_000);
      });
    }
    await b4.run();
    const engine = (on: boolean): string => on ? 'sluice.timer-inline' : 'sluice.timer-arrays';
    const variant = (on: boolean): string => on ? 'one timer inline (default)' : 'arrays (inlineSingle false)';
    for (const on of [true, false]) {
      timerRows.push(row(b4.getTask(`one-per-key ${on}`)!, 'state.timers.register-fire', engine(on), BATCH, { variant: variant(on), note: `a timer per new key, ${LIVE} ms ahead; the time moves on by 1 ms per key` }));
      timerRows.push(row(b4.getTask(`re-register ${on}`)!, 'state.timers.re-register', engine(on), BATCH, { variant: variant(on), note: `${KEYS} keys, each holding the timer registered again` }));
    }
  }
  results.push(...timerRows.sort((a, b) => a.benchmark.localeCompare(b.benchmark)));

  // 3. The store: one checkpoint's chunk writes (128 key groups) and its manifest commit.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-state-'));
  const store = await CheckpointStore.open(dir);
  const chunks = filled(true).backend.snapshot(true).chunks;
  let id = 0;
  const b3 = new Bench({ name: 'store', ...timing, throws: true });
  b3.add('put 128 chunks', async () => {
    id++;
    await Promise.all(chunks.map((c) => store.putChunk(`k/${String(id).padStart(10, '0')}/bench/${c.keyGroup}`, c.bytes)));
  });
  await b3.run();
  results.push(row(b3.tasks[0]!, 'state.store.put', 'sluice.leveldb', chunks.length, { variant: 'CheckpointStore (LevelDB)', note: `${chunks.length} chunks per checkpoint`, chunkBytes: chunks.reduce((a, c) => a + c.bytes.length, 0) }));
  await store.close();
  rmSync(dir, { recursive: true, force: true });

  if (sink === 42) process.stderr.write('');
  emitReport(results, target);
}

await main();
