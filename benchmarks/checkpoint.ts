// Runs on: the benchmark's main thread. What checkpoints cost: the same keyed job (1 M uniformly chosen keys,
// running sum, parallelism 2) without checkpoints and with a checkpoint every second, interleaved, each run
// lasting --seconds (default 30); then the restore of the last checkpoint's state: from run() with resume to the
// first record processed after the restore, the manifest and chunk checks included.
//
//   npm run bench:checkpoint -- [--json [PATH]] [--seconds 30] [--reps 3] [--keys 1000000] [--state typed|objects] [--check-events N] [--quick]
//
// --state: the running sums as keyed state in typed columns (reduce's stateSchema, the default) or as an object
// per key; rows carry it as `state`.
//
// Rows: checkpoint.throughput (engines sluice.none, sluice.checkpoint-1s: eventsPerSec = records through the
// sink per second, medians of --reps; checkpointsCompleted, dirtyKeysPerCheckpoint, checkpointMs, checkpointBytes,
// syncMs per checkpoint: medians over the run), and checkpoint.restore (engine sluice: restoreMs, restoredKeys;
// p50Us is restoreMs in µs, the one sample's latency, so the row has a figure in the shared fields).
//
// The cost: `throughputCost` is the median over the repetitions of each pair's cost (1 - checkpoint / none, the
// two runs of a repetition back to back); `costOfMedians` is 1 - the ratio of the two medians. On this shared VM
// a mode's speed drifts by 20-30% over minutes, and the ratio of medians then compares runs of different minutes
// (one run's five pairs cost 4% to 30%, median 12%, and the ratio of its medians said 24%); a pair shares its
// minute.
//
// Same work: the timed runs are cut off after --seconds, so their outputs differ in length. After them, each mode
// runs the same job bounded to --check-events records (default 1 M, quick 200 K) to its end, and its
// checkpoint.throughput row carries that run's outputRows (records through the sink) and outputChecksum (every
// key's final sum, folded order-free: see jobs/checkpoint-sum.ts); the two must agree, or the benchmark says so
// and exits 1. `outputOf` says so in the JSON.

import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobHandle } from '../core/index.js';
import type { CompletedCheckpoint } from '../core/checkpoint/coordinator.js';
import { emitReport, median, parseJsonArg, rssMB, type BenchResult } from './report.js';
import { COUNT_ENV, FIRST_RECORD_ENV, KEYS_ENV, STATE_ENV, type CheckedOutput } from './jobs/checkpoint-sum.js';
import { hex32 } from './job-generator.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const quick = argv.includes('--quick');
const seconds = arg('seconds', quick ? 8 : 30);
const reps = arg('reps', quick ? 1 : 3);
const keys = arg('keys', 1_000_000);
const checkEvents = arg('check-events', quick ? 200_000 : 1_000_000);
const stateAt = argv.indexOf('--state');
const state = stateAt >= 0 ? argv[stateAt + 1] : 'typed';
if (state !== 'typed' && state !== 'objects') throw new Error(`--state must be typed or objects, got ${String(state)}`);
const JOB = new URL('./jobs/checkpoint-sum.ts', import.meta.url);
const log = (s: string): void => { process.stderr.write(`${s}\n`); };

process.env[KEYS_ENV] = String(keys);
process.env[STATE_ENV] = state;

/** Records through the sink so far (live metrics). */
function sinkRecords(h: JobHandle): number {
  return h.metrics().operators.filter((o) => o.operator === 'out').reduce((s, o) => s + o.recordsIn, 0);
}

interface Sample { eventsPerSec: number; checkpoints: CompletedCheckpoint[]; rss: number }

async function once(checkpoint: boolean, stateDir: string): Promise<Sample> {
  let completed = 0;
  let wake = (): void => {};
  const h = await run(JOB, {
    parallelism: 2,
    ...(checkpoint ? { checkpointIntervalMs: 1000, stateDir, retainedCheckpoints: 2 } : {}),
    onWarning: (m) => log(`warning: ${m}`),
    onCheckpoint: () => { completed++; wake(); },
  });
  // The clock starts at the first record through the sink (thread start-up is not the engine's throughput).
  while (sinkRecords(h) === 0) await new Promise((r) => setTimeout(r, 20));
  const r0 = sinkRecords(h);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const r1 = sinkRecords(h);
  const t1 = performance.now();
  const rss = rssMB();
  // The restore measured afterwards needs a checkpoint: a loaded machine may have completed none in the timed
  // seconds (it then resumed from nothing and failed reading an undefined checkpoint). Waited for after the clock stops.
  while (checkpoint && completed === 0) await new Promise<void>((r) => { wake = r; });
  const res = await h.cancel();
  return { eventsPerSec: (r1 - r0) / ((t1 - t0) / 1000), checkpoints: res.checkpoints.completed, rss };
}

async function restore(stateDir: string): Promise<{ restoreMs: number; restoredKeys: number; checkpointId: number }> {
  const marker = path.join(stateDir, '..', 'first-record');
  rmSync(marker, { force: true });
  process.env[FIRST_RECORD_ENV] = marker;
  try {
    const t0 = Date.now();
    const h = await run(JOB, { parallelism: 2, stateDir, resume: true, checkpointIntervalMs: 1000, onWarning: (m) => log(`warning: ${m}`) });
    while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 5));
    const first = Number(readFileSync(marker, 'utf8'));
    await h.cancel();
    const res = await h.result;
    if (res.restoredFrom === undefined) throw new Error(`the restore run resumed from no checkpoint in ${stateDir}`);
    const { CheckpointStore } = await import('../core/checkpoint/store.js');
    const store = await CheckpointStore.open(stateDir);
    const m = await store.readManifest(res.restoredFrom!);
    await store.close();
    return { restoreMs: first - t0, restoredKeys: m.keyedEntries, checkpointId: m.id };
  } finally {
    delete process.env[FIRST_RECORD_ENV];
  }
}

/** The job bounded to checkEvents records, run to its end: its output's rows and checksum over both sink subtasks. */
async function checkedRun(checkpoint: boolean, stateDir: string): Promise<{ rows: number; checksum: string }> {
  process.env[COUNT_ENV] = String(checkEvents);
  try {
    const h = await run(JOB, { parallelism: 2, ...(checkpoint ? { checkpointIntervalMs: 1000, stateDir } : {}), onWarning: (m) => log(`warning: ${m}`) });
    const parts = ((await h.result).collected['out'] ?? []) as CheckedOutput[];
    if (parts.length !== 2) throw new Error(`checked run (${checkpoint ? 'checkpoint-1s' : 'none'}): ${parts.length} sink subtasks reported, 2 expected`);
    return { rows: parts.reduce((n, p) => n + p.rows, 0), checksum: hex32(parts.reduce((h, p) => (h + p.checksum) | 0, 0)) };
  } finally {
    delete process.env[COUNT_ENV];
  }
}

const base = mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-ckpt-'));
const results: BenchResult[] = [];
try {
  const samples: Record<'none' | 'cp', Sample[]> = { none: [], cp: [] };
  let lastDir = '';
  for (let r = 0; r < reps; r++) {
    for (const which of (r % 2 === 0 ? ['none', 'cp'] : ['cp', 'none']) as ('none' | 'cp')[]) {
      const dir = path.join(base, `state-${r}`);
      const s = await once(which === 'cp', dir);
      if (which === 'cp') lastDir = dir;
      samples[which].push(s);
      log(`rep ${r + 1}/${reps} ${which === 'cp' ? 'checkpoint-1s' : 'none'}: ${Math.round(s.eventsPerSec).toLocaleString('en-US')} events/s${which === 'cp' ? `, ${s.checkpoints.length} checkpoints` : ''}`);
    }
  }
  const none = median(samples.none.map((s) => s.eventsPerSec));
  const cp = median(samples.cp.map((s) => s.eventsPerSec));
  const pairCosts = samples.cp.map((s, r) => 1 - s.eventsPerSec / samples.none[r]!.eventsPerSec);
  const cost = median(pairCosts);
  const all = samples.cp.flatMap((s) => s.checkpoints).filter((c) => c.kind === 'checkpoint');
  const row = (engine: string, eventsPerSec: number, extra: Record<string, unknown>, ss: Sample[]): BenchResult => ({
    benchmark: 'checkpoint.throughput', engine, parallelism: 2, repetitions: ss.length, eventsPerSec, p50Us: null, p99Us: null,
    rssMB: median(ss.map((s) => s.rss)), outputRows: null, outputChecksum: null, bytesPerRecord: null, seconds, keys, state, ...extra,
  });
  // The same work on both: each mode over the same bounded stream, to its end.
  const checked = { none: await checkedRun(false, path.join(base, 'checked-none')), cp: await checkedRun(true, path.join(base, 'checked-cp')) };
  log(`checked runs of ${checkEvents.toLocaleString('en-US')} records: none ${checked.none.rows} rows / ${checked.none.checksum}, checkpoint-1s ${checked.cp.rows} rows / ${checked.cp.checksum}`);
  const outputOf = `a run of the same job bounded to ${checkEvents} records, after the timed runs: records through the sink, and every key's final sum folded order-free`;
  const out = (c: { rows: number; checksum: string }): Record<string, unknown> => ({ outputRows: c.rows, outputChecksum: c.checksum, outputOf });
  results.push(row('sluice.none', none, { checkpointsCompleted: null, dirtyKeysPerCheckpoint: null, ...out(checked.none) }, samples.none));
  results.push(row('sluice.checkpoint-1s', cp, {
    ...out(checked.cp),
    checkpointsCompleted: median(samples.cp.map((s) => s.checkpoints.length)),
    dirtyKeysPerCheckpoint: median(all.map((c) => c.dirtyEntries)),
    checkpointMs: median(all.map((c) => c.durationMs)),
    checkpointBytes: median(all.map((c) => c.bytesWritten)),
    syncMs: median(all.map((c) => c.maxSyncMs)),
    throughputCost: cost,
    pairCosts,
    costOfMedians: 1 - cp / none,
    vsNone: 1 - cost,
  }, samples.cp));
  const rest = await restore(lastDir);
  log(`restore of checkpoint ${rest.checkpointId}: ${rest.restoredKeys.toLocaleString('en-US')} keys in ${rest.restoreMs} ms`);
  results.push({
    // Its figure is a latency (run() with resume to the first record processed), one sample: p50Us is that sample.
    benchmark: 'checkpoint.restore', engine: 'sluice', parallelism: 2, repetitions: 1, eventsPerSec: null, p50Us: rest.restoreMs * 1000, p99Us: null,
    rssMB: rssMB(), outputRows: null, outputChecksum: null, bytesPerRecord: null, restoreMs: rest.restoreMs, restoredKeys: rest.restoredKeys, state,
  });
  emitReport(results, parseJsonArg(argv));
  if (checked.none.rows !== checked.cp.rows || checked.none.checksum !== checked.cp.checksum) {
    log(`OUTPUT MISMATCH checkpoint.throughput: none ${checked.none.rows} / ${checked.none.checksum} != checkpoint-1s ${checked.cp.rows} / ${checked.cp.checksum}`);
    process.exitCode = 1;
  }
  log(`throughput cost of checkpoints every 1 s: ${(cost * 100).toFixed(1)}% (median of the pairs ${pairCosts.map((c) => `${(c * 100).toFixed(1)}%`).join(', ')}; of the medians ${((1 - cp / none) * 100).toFixed(1)}%) (bar <= 15%), checkpoints per run: ${median(samples.cp.map((s) => s.checkpoints.length))} (bar >= 25), restore ${rest.restoreMs} ms (bar <= 5000)`);
} finally {
  rmSync(base, { recursive: true, force: true });
}
