// Runs on: main thread (spec) and the worker thread of each source subtask (reader).
//
// A parallel, splittable, deterministic generator. Record i is a function of (seed, i) alone, so a job's
// output is the same at any parallelism. A fresh job at parallelism p has p splits: split s generates
// i = s, s + p, s + 2p, ...; its position is the next i. Restored at another parallelism, the same splits are
// dealt to the new subtasks, so every record is still generated exactly once; a subtask holding several splits
// merges them in index order (so event time stays as ordered as at the original parallelism). Records it read and
// the runtime held at an unaligned checkpoint go back to their splits (`unread`): a merging reader reads them again
// in that same order.

import { JobDefinitionError } from '../api/errors.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceReader, type SourceSpec, type SourceSplit, type SourceStatus } from './source.js';
import { shownValue } from '../api/shown-value.js';
import { isNumber } from '../api/number-option.js';
import { checkKnownOptions } from '../api/known-options.js';

/** A small deterministic random source for one record. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export interface GeneratorOptions {
  /** Records in total, across all subtasks; omit for an unbounded stream. */
  count?: number;
  seed?: number;
  /** Records per second in total, across all subtasks; omit for as fast as possible. */
  ratePerSec?: number;
}

export type GeneratorFunction<T> = (index: number, random: Random) => T;

/** Record `index` of a generator with `seed`, exactly as a generator source emits it, on one thread. */
export function generateRecord<T>(fn: GeneratorFunction<T>, seed: number, index: number, random: SplitRandom = new SplitRandom()): T {
  return fn(index, random.reset(seed, index));
}

/**
 * splitmix32-style mixing of (seed, index) into a PRNG state: independent streams per record. Exported so
 * oracles and baselines can rebuild exactly the records a generator source emits.
 */
export class SplitRandom implements Random {
  private s = 0;
  reset(seed: number, index: number): this {
    // Seeds beyond int32 and uint32 count their high words too (xor alone keeps 32 bits: s and s + 2^32 were one
    // stream); from -2^31 to 2^32 the term is 0 and streams are as they always were.
    const high = seed >= -0x8000_0000 && seed < 0x1_0000_0000 ? 0 : Math.floor(seed / 0x1_0000_0000);
    this.s = (Math.imul(seed ^ 0x9e37_79b9, 0x85eb_ca6b) ^ Math.imul(high, 0x27d4_eb2f)
      ^ Math.imul(index, 0xc2b2_ae35) ^ Math.floor(index / 0x1_0000_0000)) | 0;
    return this;
  }
  next(): number {
    let z = (this.s = (this.s + 0x9e37_79b9) | 0);
    z = Math.imul(z ^ (z >>> 16), 0x21f0_aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a_2d97);
    return ((z ^ (z >>> 15)) >>> 0) / 4_294_967_296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** A residue class of record indices: start, start + stride, ...; `next` is the position. */
export interface StrideSplit {
  readonly start: number;
  readonly stride: number;
  readonly next: number;
}

const GENERATOR_KEYS = Object.keys({ count: true, seed: true, ratePerSec: true } satisfies Record<keyof GeneratorOptions, true>);

export function generatorSource<T>(options: GeneratorOptions, fn: GeneratorFunction<T>): SourceSpec<T> {
  if (options === null || typeof options !== 'object') throw new JobDefinitionError(`generator: options must be an object, got ${shownValue(options)}`);
  checkKnownOptions(options, GENERATOR_KEYS, 'generator');
  const count = options.count ?? Infinity;
  const seed = options.seed ?? 0;
  const rate = options.ratePerSec;
  if (!Number.isSafeInteger(seed)) throw new JobDefinitionError(`generator: seed must be an integer, got ${shownValue(seed)}`);
  if (count !== Infinity && (!Number.isSafeInteger(count) || count < 0)) throw new JobDefinitionError(`generator: count must be a non-negative integer, got ${shownValue(count)}`);
  if (rate !== undefined && !(isNumber(rate) && rate > 0)) throw new JobDefinitionError(`generator: ratePerSec must be > 0, got ${shownValue(rate)}`);
  if (typeof fn !== 'function') throw new JobDefinitionError('generator: expected a function (index, random) => record');
  return {
    kind: 'generator',
    fingerprint: `generator(count=${count},seed=${seed},rate=${rate ?? 'max'})`,
    maxParallelism: Number.MAX_SAFE_INTEGER,
    bounded: count !== Infinity,
    ...(count !== Infinity ? { count } : {}),
    rewindable: true,
    enumerateSplits: (parallelism) => strideSplits(parallelism),
    createReader(_subtask, _parallelism, splits) {
      return new GeneratorReader(fn, seed, count, splits, readerRate(rate, splits));
    },
  };
}

/**
 * A reader's share of `ratePerSec` (records per second in total): the share of the indices its splits cover, a
 * split of stride s covering 1/s of them. Not rate / parallelism: after a rescale a reader may hold several splits,
 * or one of another stride (else, from parallelism 1 to 2, the one split goes to one reader at half the rate).
 */
export function readerRate(rate: number | undefined, splits: readonly SourceSplit[]): number | undefined {
  if (rate === undefined) return undefined;
  const share = splits.reduce((sum, s) => sum + 1 / checkStrideSplit(s, 'generator').stride, 0);
  return share > 0 ? rate * share : undefined;
}

/** `parallelism` stride splits covering 0, 1, 2, ... */
export function strideSplits(parallelism: number): SourceSplit[] {
  return Array.from({ length: parallelism }, (_, s) => ({ id: `${s}/${parallelism}`, position: { start: s, stride: parallelism, next: s } satisfies StrideSplit }));
}

export function checkStrideSplit(split: SourceSplit, where: string): StrideSplit {
  const p = split.position as StrideSplit;
  if (!p || !Number.isSafeInteger(p.start) || !Number.isSafeInteger(p.stride) || p.stride < 1 || !Number.isSafeInteger(p.next) || p.next < p.start || (p.next - p.start) % p.stride !== 0) {
    throw new JobDefinitionError(`${where}: split '${split.id}' has an invalid position ${JSON.stringify(split.position)}`);
  }
  return p;
}

/**
 * How far behind its schedule a rate-limited reader catches up, in seconds of its rate: a short stall (a GC pause,
 * a scheduling delay) is made up, a long hold (backpressure, a slow reader) is not. Counted from the start alone,
 * a reader held for an hour would release an hour's records at once when the hold ended.
 */
export const GENERATOR_CATCH_UP_SEC = 1;

export class GeneratorReader<T> implements SourceReader<T> {
  private readonly random = new SplitRandom();
  /** When the schedule started (moved on past a long hold: GENERATOR_CATCH_UP_SEC). */
  private startedAt: number;
  /** Per split: id, stride, next index. */
  private readonly ids: string[];
  private readonly starts: number[];
  private readonly strides: number[];
  private readonly nexts: number[];
  private emitted = 0;
  /** Where the last read began and how many it emitted (set per read, not per record): for `unread`. */
  private readonly readFrom: number[];
  private lastRead = 0;
  private waitMs = 0;
  /** After WAIT: when the next record is due (performance.now() ms). */
  private dueAt = NaN;

  constructor(
    private readonly fn: GeneratorFunction<T>,
    private readonly seed: number,
    private readonly count: number,
    splits: SourceSplit[],
    private readonly ratePerSec: number | undefined,
    /** The clock (ms): performance.now, or a test's. */
    private readonly now: () => number = () => performance.now(),
  ) {
    this.startedAt = now();
    const ps = splits.map((s) => checkStrideSplit(s, 'generator'));
    this.ids = splits.map((s) => s.id);
    this.starts = ps.map((p) => p.start);
    this.strides = ps.map((p) => p.stride);
    this.nexts = ps.map((p) => p.next);
    this.readFrom = this.nexts.slice();
  }

  read(emit: (value: T) => void, max: number): SourceStatus {
    const n = this.nexts.length;
    this.lastRead = 0;
    if (this.nexts.every((i) => i >= this.count)) return SOURCE_END;
    let budget = max;
    if (this.ratePerSec !== undefined) {
      // Tokens earned since start, minus what was emitted: never bursts beyond the schedule.
      const now = this.now();
      let due = Math.floor(((now - this.startedAt) / 1000) * this.ratePerSec) - this.emitted;
      const most = Math.max(1, Math.floor(GENERATOR_CATCH_UP_SEC * this.ratePerSec));
      if (due > most) {
        // Further behind than it catches up: the schedule starts over so that `most` are due now.
        this.startedAt = now - ((this.emitted + most) / this.ratePerSec) * 1000;
        due = most;
      }
      if (due <= 0) {
        this.dueAt = this.startedAt + ((this.emitted + 1) / this.ratePerSec) * 1000;
        this.waitMs = Math.max(1, this.dueAt - now);
        return SOURCE_WAIT;
      }
      budget = Math.min(budget, due);
    }
    const { fn, seed, count, random } = this;
    if (n === 1) {
      const step = this.strides[0]!;
      let i = this.nexts[0]!;
      let k = 0;
      this.readFrom[0] = i;
      for (; k < budget && i < count; k++, i += step) emit(fn(i, random.reset(seed, i)));
      this.nexts[0] = i;
      this.emitted += k;
      this.lastRead = k;
      return SOURCE_MORE;
    }
    // Several splits (a restore at lower parallelism): merge them in index order. Reading one split a budget at
    // a time would run its event time ahead of the others' and make their records late for the watermark.
    const nexts = this.nexts;
    for (let j = 0; j < n; j++) this.readFrom[j] = nexts[j]!;
    let k = 0;
    for (; k < budget; k++) {
      let s = 0;
      for (let j = 1; j < n; j++) if (nexts[j]! < nexts[s]!) s = j;
      const i = nexts[s]!;
      if (i >= count) break;
      emit(fn(i, random.reset(seed, i)));
      nexts[s] = i + this.strides[s]!;
    }
    this.emitted += k;
    this.lastRead = k;
    return SOURCE_MORE;
  }

  ready(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.waitMs));
  }

  readyAt(): number {
    return this.dueAt;
  }

  snapshot(_checkpointId: number): SourceSplit[] {
    return this.splitsAt(this.nexts);
  }

  /** The last read again from where it began, up to its last `count` records (in index order, as read() merges). */
  unread(count: number): SourceSplit[] | undefined {
    if (!(Number.isInteger(count) && count >= 0 && count <= this.lastRead)) return undefined;
    const nexts = this.readFrom.slice();
    for (let k = this.lastRead - count; k > 0; k--) {
      let s = 0;
      for (let j = 1; j < nexts.length; j++) if (nexts[j]! < nexts[s]!) s = j;
      nexts[s] = nexts[s]! + this.strides[s]!;
    }
    return this.splitsAt(nexts);
  }

  private splitsAt(nexts: readonly number[]): SourceSplit[] {
    return this.ids.map((id, k) => ({ id, position: { start: this.starts[k]!, stride: this.strides[k]!, next: nexts[k]! } satisfies StrideSplit }));
  }
}
