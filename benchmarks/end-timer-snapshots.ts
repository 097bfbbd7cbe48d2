// Runs on: the benchmark's main thread. One subtask's keyed operator of the end-of-input timers trial, in process
// (no job, no load from other threads): per key a value, a map, a list and an event-time timer. The input comes in
// batches of `batch` keys with a snapshot after each; then the final watermark's timers fire `slice` at a time with a
// snapshot after each slice, as checkpoints come between the slices of a job. Prints the CPU time of the snapshots
// taken during the firing and of the firing itself: the firing's checkpoints should cost what the timers changed,
// not the groups' full chunks of state they left alone.
//
//   node --import tsx benchmarks/end-timer-snapshots.ts [keys=500000] [batch=6000] [slice=7500] [--json [PATH]] [--quick]
//   (500 k keys and 7,500 a slice: 1 M keys at p2 firing over ~67 checkpoints; 150000 5000 25000: 300 k over ~6)
// --quick: 20 k keys (the report's shape, for the spec). One run, one row: eventsPerSec is timers fired per second of the firing's CPU, snapshots included.

import { KeyedStateBackend } from '../core/state/keyed-state-backend.js';
import { TimerService } from '../core/state/timer-service.js';
import { emitReport, parseJsonArg, rssMB } from './report.js';

const argv = process.argv.slice(2);
const target = parseJsonArg(argv);
const jsonPath = target.to === 'file' ? target.path : undefined;
const quick = argv.includes('--quick');
const [keys = quick ? 20_000 : 500_000, batch = quick ? 2000 : 6000, slice = quick ? 3000 : 7500] = argv.filter((a) => !a.startsWith('--') && a !== jsonPath).map(Number);
const b = new KeyedStateBackend('op', 128, true, { processing: () => 0, event: () => 0, watermark: () => 0 });
const timers = new TimerService(b);
const v = b.valueState<number>('v');
const m = b.mapState<string, number>('m');
const l = b.listState<number>('l');
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

let snapMs = 0;
let snaps = 0;
let fullEntries = 0;
let bytes = 0;
const snapshot = (): void => {
  const t = cpuMs();
  const { chunks } = b.snapshot(false);
  snapMs += cpuMs() - t;
  snaps++;
  for (const c of chunks) { bytes += c.bytes.length; if (c.full) fullEntries += c.entries; }
};

for (let i = 0; i < keys; i++) {
  const k = `k${i}`;
  b.currentKey = k;
  v.update(i);
  m.put('a', i);
  l.add(i);
  timers.register('event', k, i + 1e9);
  if ((i + 1) % batch === 0) snapshot();
}
snapshot();
const input = { snapshots: snaps, snapshotCpuMs: Math.round(snapMs) };
snapMs = 0; snaps = 0; fullEntries = 0; bytes = 0;
const encodedBefore = b.encoder.entriesEncoded;
let fireMs = 0;
for (;;) {
  const t = cpuMs();
  const n = timers.fireSome('event', Number.MAX_SAFE_INTEGER, slice, () => false, (key) => { b.currentKey = key; });
  fireMs += cpuMs() - t;
  if (n < 0) break;
  snapshot();
}
const firing = { snapshots: snaps, snapshotCpuMs: Math.round(snapMs), timersCpuMs: Math.round(fireMs), fullChunkEntries: fullEntries, entriesEncoded: b.encoder.entriesEncoded - encodedBefore, writtenMB: +(bytes / 1e6).toFixed(1) };
emitReport([{
  benchmark: 'state.end-timer-snapshots', engine: 'sluice', parallelism: 1, repetitions: 1,
  eventsPerSec: Math.round(keys / ((snapMs + fireMs) / 1000)), p50Us: null, p99Us: null, rssMB: rssMB(),
  outputRows: null, outputChecksum: null, bytesPerRecord: null, keys, batch, slice, input, firing,
}], target);
