// Runs on: each worker thread of a hand-written q1 latency run (latency-handwritten.ts starts it through
// workers/ts-entry.mjs; `paceQ1` itself runs on any thread). q1 at a fixed offered rate with no engine, as a
// capable user writes it on plain worker threads: the thread paces its stride share of the Nexmark stream
// (positions s, s + p, ...) with a WallClockPacer at offered / p, generates each event, projects the bids, and
// "sinks" each row by taking its latency exactly as sluice's q1 latency sink does (event-latencies.ts): arrival
// (epoch ms) minus its event's due time on the thread's schedule, the warm-up apart. With nothing due it sleeps
// in Atomics.wait until the next event is, on a private SharedArrayBuffer nobody notifies: no spinning, and no
// event-loop timer (1 ms granularity).

import { parentPort, workerData } from 'node:worker_threads';
import { epochMs } from '../job-generator.js';
import type { NexmarkConfig } from './config.js';
import { EventLatencyTally, type EventLatencyPart } from './event-latencies.js';
import { NexmarkGenerator } from './generator.js';
import type { SourceEnd } from './latency-dir.js';
import { dueAt, WallClockPacer } from './pacer.js';
import { q1Row } from './queries.js';

export interface HandwrittenLatencyJob {
  /** A latencyConfig: its q1 rows are the sluice latency run's. */
  config: NexmarkConfig;
  subtask: number;
  parallelism: number;
  /** Events per second of this thread (the offered rate / parallelism). */
  ratePerSec: number;
  warmupMs: number;
  /** Arrival read per event, as sluice's sink with `clockPerEvent`; else once per batch (each `due` run). */
  clockPerEvent: boolean;
  /**
   * Int32 count of the run's threads ready to start, shared by all of them: each thread's schedule starts once
   * every thread has loaded (a thread still starting up would take a core from the others' schedules).
   */
  arrived: SharedArrayBuffer;
}

export interface HandwrittenLatencyDone {
  part: EventLatencyPart;
  /** The thread's schedule and what it emitted, as a sluice source subtask reports it (offered-rate.ts reads it). */
  end: SourceEnd;
}

/** Events per batch at most: sluice's source reads per step (the task loop's budget, run-options.ts). */
const BATCH = 1024;

/** Waits until all `parallelism` threads sharing `arrived` have called this. */
function startTogether(arrived: SharedArrayBuffer, parallelism: number): void {
  const a = new Int32Array(arrived);
  if (Atomics.add(a, 0, 1) + 1 >= parallelism) {
    Atomics.notify(a, 0);
    return;
  }
  for (let n = Atomics.load(a, 0); n < parallelism; n = Atomics.load(a, 0)) Atomics.wait(a, 0, n);
}

/** Runs thread `job.subtask`'s share of q1 on its schedule; returns its latencies, checksum and schedule. */
export function paceQ1(job: HandwrittenLatencyJob): HandwrittenLatencyDone {
  const { config, subtask, parallelism, ratePerSec } = job;
  const count = config.events;
  const gen = new NexmarkGenerator(config);
  const tally = new EventLatencyTally(job.warmupMs);
  const nap = new Int32Array(new SharedArrayBuffer(4));
  // On the epoch clock, as sluice's source and sink: latencies are comparable across the two runs.
  const pacer = new WallClockPacer(ratePerSec, epochMs);
  const anchorMs = pacer.startedAt;
  let position = subtask;
  let emitted = 0;
  let lastEmitMs = Number.NaN;
  while (position < count) {
    const due = pacer.due();
    if (due === 0) {
      Atomics.wait(nap, 0, 0, pacer.waitMs());
      continue;
    }
    let k = 0;
    if (job.clockPerEvent) {
      for (; k < due && position < count; k++, position += parallelism) {
        const e = gen.event(position);
        // The thread's (emitted + k)-th event: due at dueAt(anchorMs, ratePerSec, emitted + k).
        if (e.kind === 'bid') tally.add(q1Row(e), epochMs(), dueAt(anchorMs, ratePerSec, emitted + k), anchorMs);
      }
    } else {
      // Batches as sluice's sink takes them (a source read's records: at most BATCH), each one's arrival read once
      // at its end.
      while (k < due && position < count) {
        const end = Math.min(due, k + BATCH);
        for (; k < end && position < count; k++, position += parallelism) {
          const e = gen.event(position);
          if (e.kind === 'bid') tally.hold(q1Row(e), dueAt(anchorMs, ratePerSec, emitted + k), anchorMs);
        }
        tally.end(epochMs());
      }
    }
    pacer.took(k);
    emitted += k;
    lastEmitMs = epochMs();
  }
  return { part: tally.part(), end: { subtask, parallelism, anchorMs, ratePerSec, emitted, lastEmitMs } };
}

// Started as a worker (workers/ts-entry.mjs names this module in workerData.__entry): run, hand back, exit.
if (parentPort !== null && (workerData as { __entry?: unknown } | null)?.__entry === import.meta.url) {
  const job = workerData as HandwrittenLatencyJob;
  startTogether(job.arrived, job.parallelism);
  const done: HandwrittenLatencyDone = paceQ1(job);
  parentPort.postMessage(done);
}
