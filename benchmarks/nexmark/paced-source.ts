// Runs on: the main thread (planning) and the worker thread of each source subtask of a Nexmark latency job.
// The Nexmark stream emitted on a wall-clock schedule, so latency is measured at a known load. Each subtask
// paces its share (positions s, s + p, ...) with a WallClockPacer at offered / p, started at its first read (so
// thread start-up is not counted as lateness), and reports its schedule to the run directory before emitting
// anything: a sink can then tell when any event it receives was due, the time its latency counts from.

import { checkStrideSplit, strideSplits } from '../../core/connectors/generator.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceReader, type SourceSpec, type SourceSplit, type SourceStatus } from '../../core/index.js';
import { epochMs } from '../job-generator.js';
import { NexmarkConfigError, type NexmarkConfig } from './config.js';
import { NexmarkGenerator } from './generator.js';
import { writeSourceEnd, writeSourceStart } from './latency-dir.js';
import type { NexmarkEvent } from './model.js';
import { WallClockPacer } from './pacer.js';

export interface PacedSourceOptions {
  /** Events per second over all subtasks. */
  readonly offeredPerSec: number;
  /** Run directory (latency-dir.ts). */
  readonly dir: string;
  /** Wall clock, epoch ms (tests pass a fake one). */
  readonly now?: () => number;
}

export function pacedNexmarkSource(config: NexmarkConfig, options: PacedSourceOptions): SourceSpec<NexmarkEvent> {
  if (config.events === Infinity) throw new NexmarkConfigError('nexmark latency: the paced source needs a bounded stream');
  if (!(options.offeredPerSec > 0 && Number.isFinite(options.offeredPerSec))) {
    throw new NexmarkConfigError(`nexmark latency: offeredPerSec must be a finite number > 0, got ${options.offeredPerSec}`);
  }
  return {
    kind: 'nexmark-paced',
    fingerprint: `nexmark-paced(seed=${config.seed},events=${config.events},rate=${config.eventsPerSec},ooo=${config.outOfOrderGroupSize},offered=${options.offeredPerSec})`,
    maxParallelism: Number.MAX_SAFE_INTEGER,
    bounded: true,
    count: config.events,
    // Positions are checkpointed, but a restored reader starts a new schedule: its latencies would mean little.
    rewindable: true,
    enumerateSplits: (parallelism) => strideSplits(parallelism),
    createReader(subtask, parallelism, splits) {
      return new PacedReader(config, options, subtask, parallelism, splits);
    },
  };
}

class PacedReader implements SourceReader<NexmarkEvent> {
  private readonly gen: NexmarkGenerator;
  private readonly start: number;
  private readonly stride: number;
  private next: number;
  private readonly ratePerSec: number;
  /** Created at the first read: the schedule starts when the subtask starts reading. */
  private pacer: WallClockPacer | undefined;
  private emitted = 0;
  private lastEmitMs = Number.NaN;
  private ended = false;
  private waitMs = 1;
  /** After WAIT: when the next event is due, on performance.now()'s clock (the pacer's may be another). */
  private dueAt = Number.NaN;
  private readonly now: () => number;

  constructor(
    private readonly config: NexmarkConfig,
    private readonly options: PacedSourceOptions,
    private readonly subtask: number,
    private readonly parallelism: number,
    splits: SourceSplit[],
  ) {
    if (splits.length !== 1) throw new NexmarkConfigError(`nexmark latency: the paced source runs one split per subtask, subtask ${subtask} got ${splits.length}`);
    const split = checkStrideSplit(splits[0]!, 'nexmark-paced');
    this.gen = new NexmarkGenerator(config);
    this.start = split.start;
    this.stride = split.stride;
    this.next = split.next;
    this.ratePerSec = options.offeredPerSec / parallelism;
    this.now = options.now ?? epochMs;
  }

  read(emit: (value: NexmarkEvent) => void, max: number): SourceStatus {
    const count = this.config.events;
    if (this.next >= count) {
      if (!this.ended) {
        this.ended = true;
        writeSourceEnd(this.options.dir, { ...this.schedule(), emitted: this.emitted, lastEmitMs: this.lastEmitMs });
      }
      return SOURCE_END;
    }
    let pacer = this.pacer;
    if (pacer === undefined) {
      pacer = this.pacer = new WallClockPacer(this.ratePerSec, this.now);
      writeSourceStart(this.options.dir, this.schedule());
    }
    const due = pacer.due();
    if (due === 0) {
      this.waitMs = pacer.waitMs();
      this.dueAt = performance.now() + this.waitMs;
      return SOURCE_WAIT;
    }
    const n = Math.min(due, max);
    const { gen, stride } = this;
    let i = this.next;
    let k = 0;
    for (; k < n && i < count; k++, i += stride) emit(gen.event(i));
    this.next = i;
    pacer.took(k);
    this.emitted += k;
    this.lastEmitMs = this.now();
    return SOURCE_MORE;
  }

  private schedule(): { subtask: number; parallelism: number; anchorMs: number; ratePerSec: number } {
    return { subtask: this.subtask, parallelism: this.parallelism, anchorMs: this.pacer?.startedAt ?? Number.NaN, ratePerSec: this.ratePerSec };
  }

  ready(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.waitMs));
  }

  readyAt(): number {
    return this.dueAt;
  }

  snapshot(_checkpointId: number): SourceSplit[] {
    return [{ id: `${this.start}/${this.stride}`, position: { start: this.start, stride: this.stride, next: this.next } }];
  }
}
