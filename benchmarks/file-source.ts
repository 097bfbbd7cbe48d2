// Runs on: the benchmark's main thread. A whole job reading one JSON Lines file (`fromFiles(...).discard()`, one
// subtask) through the CLI, with the file source's readAhead on and off, run after run interleaved so both see the
// same machine. Each row: medians of the job's wall time (start to finish, as the CLI says), its rate over that
// time, the source task's busy and idle ms from the CLI's summary, and CPU: the job process's (Linux: the children's
// times in /proc/self/stat) and its busiest thread but the main one, the source's (sampled from /proc every 20 ms),
// with that thread's context switches: voluntary (it parked) and not (preempted: a core taken from it).
// On a loaded machine wall and busy time also count the time the thread waited for a core; CPU does not. The file
// stays in the page cache after the first run: this measures the reader's and the thread's costs, not the disk.
// `--follow`: the file is followed (polled), as a job that follows a log from its start or is restored far behind its
// end reads it; the benchmark deletes it once the job has it open, so the job finishes at its end.
//
//   npm run bench:file-source -- [--json [PATH]] [--runs N] [--mb MB] [--follow]

import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, writeFileSync, rmSync, readFileSync, readdirSync, readlinkSync, copyFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { emitReport, parseJsonArg, type BenchResult } from './report.js';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const runs = arg('--runs', 3);
const mb = arg('--mb', 150);
const follow = argv.includes('--follow');
const root = resolve(import.meta.dirname, '..');

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-file-source-'));
const input = join(dir, 'events.jsonl');
// Following, each run reads a copy, deleted once the job has it open (a hard link would keep it linked: not deleted).
const written = follow ? join(dir, 'events.master') : input;
let rows = 0;
{
  const fd = openSync(written, 'w');
  let text = '';
  let bytes = 0;
  while (bytes < mb * 1024 * 1024) {
    text += `${JSON.stringify({ user: `u${(rows * 7919) % 100_000}`, amount: rows % 1000, ts: 1_796_600_000_000 + rows })}\n`;
    rows++;
    if (text.length >= 1 << 20) { writeSync(fd, text); bytes += text.length; text = ''; }
  }
  writeSync(fd, text);
  closeSync(fd);
}
writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
const job = join(dir, 'job.ts');
writeFileSync(job, `import { defineJob, jsonLines } from ${JSON.stringify(join(root, 'core/index.js'))};
export default defineJob((env) => {
  env.fromFiles(${JSON.stringify(input)}, jsonLines(), { readAhead: process.env.READ_AHEAD === '1'${follow ? ", follow: { watch: false, pollIntervalMs: 50 }" : ''} }).name('file').discard().name('sink');
});
`);

interface Run { wallS: number; busyMs: number; idleMs: number; cpuMs: number; sourceThreadCpuMs: number; sourceThreadWaits: number; sourceThreadPreempted: number }

/** A thread's CPU ticks and its context switches: voluntary (it waited) and not (a core was taken from it). */
interface ThreadSample { ticks: number; voluntary: number; preempted: number }

function threadSample(dir: string): ThreadSample {
  const status = readFileSync(`${dir}/status`, 'utf8');
  const count = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { ticks: statTicks(`${dir}/stat`), voluntary: count('voluntary_ctxt_switches'), preempted: count('nonvoluntary_ctxt_switches') };
}

const TICK_MS = 10; // USER_HZ 100

/** User + system ticks in a /proc stat line; `children`: those of reaped children instead. */
function statTicks(path: string, children = false): number {
  const f = readFileSync(path, 'utf8').split(') ')[1]!.split(' ');
  return children ? Number(f[13]) + Number(f[14]) : Number(f[11]) + Number(f[12]);
}

async function runJob(readAhead: boolean): Promise<Run> {
  if (follow) copyFileSync(written, input);
  const childrenBefore = statTicks('/proc/self/stat', true);
  const child = spawn(process.execPath, [join(root, 'bin/sluice.mjs'), 'run', job, '-p', '1'], { env: { ...process.env, READ_AHEAD: readAhead ? '1' : '0' } });
  let out = '';
  child.stdout.on('data', (b: Buffer) => { out += b; });
  child.stderr.on('data', (b: Buffer) => { out += b; });
  const threads = new Map<string, ThreadSample>();
  let deleted = !follow;
  const sample = setInterval(() => {
    try {
      if (!deleted && readdirSync(`/proc/${child.pid}/fd`).some((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`) === input; } catch { return false; } })) {
        unlinkSync(input);
        deleted = true;
      }
      for (const tid of readdirSync(`/proc/${child.pid}/task`)) if (tid !== String(child.pid)) threads.set(tid, threadSample(`/proc/${child.pid}/task/${tid}`));
    } catch { /* ended between the listing and the read */ }
  }, 20);
  const status = await new Promise<number | null>((r) => child.on('close', r));
  clearInterval(sample);
  const wall = /finished after ([0-9.]+)s: ([0-9,]+) events/.exec(out);
  const task = /^\s+file -> sink\s+0\s+\d+\s+([0-9,]+)\s+[0-9,]+\s+([0-9,]+)/m.exec(out);
  if (!deleted) throw new Error(`the job ended before it had ${input} open (it was not deleted)`);
  if (status !== 0 || wall === null || task === null) throw new Error(`the job failed or its summary changed:\n${out}`);
  if (Number(wall[2]!.replaceAll(',', '')) !== rows) throw new Error(`read ${wall[2]} records, expected ${rows}`);
  const source = [...threads.values()].reduce((a, b) => (b.ticks > a.ticks ? b : a), { ticks: 0, voluntary: 0, preempted: 0 });
  return {
    wallS: Number(wall[1]), busyMs: Number(task[1]!.replaceAll(',', '')), idleMs: Number(task[2]!.replaceAll(',', '')),
    cpuMs: (statTicks('/proc/self/stat', true) - childrenBefore) * TICK_MS, sourceThreadCpuMs: source.ticks * TICK_MS,
    sourceThreadWaits: source.voluntary, sourceThreadPreempted: source.preempted,
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const samples = new Map<boolean, Run[]>([[false, []], [true, []]]);
try {
  await runJob(true); // warms the page cache and the CLI's compile cache: not counted
  for (let i = 0; i < runs; i++) {
    for (const readAhead of [false, true]) {
      const s = await runJob(readAhead);
      samples.get(readAhead)!.push(s);
      console.error(`run ${i + 1} readAhead=${readAhead}: ${s.wallS}s, busy ${s.busyMs} ms, idle ${s.idleMs} ms, cpu ${s.cpuMs} ms, source thread cpu ${s.sourceThreadCpuMs} ms, waits ${s.sourceThreadWaits}, preempted ${s.sourceThreadPreempted}`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const results: BenchResult[] = [];
for (const [readAhead, s] of samples) {
  const wallS = median(s.map((x) => x.wallS));
  const busyMs = median(s.map((x) => x.busyMs));
  const idleMs = median(s.map((x) => x.idleMs));
  const cpuMs = median(s.map((x) => x.cpuMs));
  const sourceThreadCpuMs = median(s.map((x) => x.sourceThreadCpuMs));
  console.error(`readAhead=${readAhead}: median ${wallS}s (${Math.round(rows / wallS)} events/s), busy ${busyMs} ms, idle ${idleMs} ms (${Math.round((100 * idleMs) / (busyMs + idleMs))}%), cpu ${cpuMs} ms, source thread cpu ${sourceThreadCpuMs} ms`);
  results.push({
    benchmark: follow ? 'job.file-source.jsonl.follow' : 'job.file-source.jsonl', engine: readAhead ? 'sluice.readAhead' : 'sluice.oneReadAtATime', parallelism: 1, repetitions: s.length,
    eventsPerSec: Math.round(rows / wallS), p50Us: null, p99Us: null, rssMB: 0, outputRows: rows, outputChecksum: null, bytesPerRecord: null,
    fileMB: mb, wallS, busyMs, idleMs, cpuMs, sourceThreadCpuMs, runs: s,
  });
}
emitReport(results, parseJsonArg(argv));
