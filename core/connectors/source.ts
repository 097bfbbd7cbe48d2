// Runs on: main thread (the spec: planning, split enumeration) and the worker thread running the source subtask
// (the reader).
//
// A source is made of splits (a file, a stream, a residue class of a generator), each with a position. The main
// thread enumerates the splits when a job starts fresh and deals them to the source's subtasks; a reader reads
// its splits and, at every checkpoint barrier, reports their positions (after the last record it emitted). On
// restore, the recorded positions are dealt out again, to any parallelism, and readers resume from them: a
// rewindable source then delivers every record exactly once into the job's state. Readers never block the
// thread: they emit what they have now.

import { SourceSplitsError } from './errors.js';

/** What `read` found: MORE (call again), WAIT (nothing now; await `ready()`), END (every split exhausted). */
export const SOURCE_MORE = 0;
export const SOURCE_WAIT = 1;
export const SOURCE_END = 2;
export type SourceStatus = typeof SOURCE_MORE | typeof SOURCE_WAIT | typeof SOURCE_END;

/** One split and its position: plain data (it is stored in checkpoints as msgpack). */
export interface SourceSplit {
  readonly id: string;
  readonly position: unknown;
}

/** A record the source could not decode; the runtime applies the source's error policy to it. */
export interface BadRecord {
  /** The raw input as read. */
  readonly raw: string | Uint8Array;
  readonly error: Error;
  /** Where it was, for a human: `file.jsonl:42`, a stream entry id, ... */
  readonly position: string;
}

/**
 * Where a reader's records come from, split by split (SourceReader.trackSplits). Calls take effect in order with
 * the records emitted around them.
 */
export interface SplitTracker {
  /** The reader reads split `id` from now on (assigned, opened): its event time counts until it ends or idles. */
  add(id: string): void;
  /** The records emitted next are split `id`'s (added if it is not yet), until the next switch. */
  switchTo(id: string): void;
  /** Split `id` has no more records (a file read to its end): its event time no longer holds the others back. */
  end(id: string): void;
}

export interface SourceReader<T> {
  /**
   * Emits at most `max` records through `emit`, in order (with the record's event time, when the source knows
   * it); reports input it cannot decode through `invalid`.
   */
  read(emit: (value: T, timestamp?: number) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus;
  /** After WAIT: resolves when `read` may find data (a timer for a rate limit, a pending promise, ...). */
  ready(): Promise<void>;
  /**
   * After WAIT, optional: when `read` will find data, as `performance.now()` on this thread, if the reader knows
   * it without the event loop (a rate limit); NaN if not. The task loop then wakes the reader at that time itself,
   * to well under a millisecond, instead of awaiting `ready()` (a timer: 1 ms at best, and one per wait).
   */
  readyAt?(): number;
  /**
   * The positions of this reader's splits now, after the last record emitted. Synchronous. `checkpointId` is the
   * checkpoint whose barrier follows (-1: the reader's final state at the end of its input), so a reader can
   * tie what it must acknowledge upstream to the checkpoint that covers it (`notifyCheckpointComplete`).
   */
  snapshot(checkpointId: number): SourceSplit[];
  /**
   * Optional: the positions of this reader's splits before the last `count` records its last `read` emitted (the
   * tail of that read, which the runtime holds back under backpressure), or undefined when it cannot say (more than
   * that read emitted). Called only at an unaligned checkpoint, after `snapshot`. A restore then hands the held
   * records back to their splits, to be read again from there in the reader's own order: scaled in, a reader that
   * merges them with another split's reads them where they belong among that split's, and event time runs no
   * faster than had they never been read. A reader can say it when re-reading gives the same records (a generator,
   * a collection), and only when `read` reports no record through `invalid` (it does not count those).
   */
  unread?(count: number): SourceSplit[] | undefined;
  /**
   * Optional: says which split its records come from, so a source given its watermark strategy per split
   * (`assignTimestampsAndWatermarks(strategy, { perSplit: true })`) keeps event time per split. Called once, before
   * the first `read`; the reader then adds the splits it reads, switches before each run of records from one split
   * (not per record) and ends the splits it has read to their end. A reader without it gets one watermark generator
   * for all its splits.
   */
  trackSplits?(tracker: SplitTracker): void;
  /**
   * Optional: whether the reader holds a split now (one it reads, or will open). A reader that may be given splits
   * while it runs (the file source discovering) says false while it has none: the runtime then marks its stream
   * idle, whatever the watermark strategy's idleness, so that it holds no one's event time back; its next record
   * marks it active again (downstream, those behind the job's watermark are late). Without it, a reader created
   * with no split while another subtask of its source got one is taken to hold none until it emits a record. A
   * reader that can never be given one had better end (SOURCE_END), as the built-in ones do.
   */
  hasSplits?(): boolean;
  /** A checkpoint covering everything read up to its barrier is complete (acknowledge upstream, ...). */
  notifyCheckpointComplete?(checkpointId: number): void | Promise<void>;
  close?(): void | Promise<void>;
}

export interface SourceSpec<T> {
  /** 'generator', 'collection', 'async-iterable', ... */
  readonly kind: string;
  /** Everything about the source that must be identical on every thread: part of the graph's fingerprint. */
  readonly fingerprint: string;
  /** Parallelism this source supports at most (1 for an unsplittable source). */
  readonly maxParallelism: number;
  /**
   * Parallelism when the operator sets none (default: the job's, capped by maxParallelism). 1 for a source whose
   * order matters more than its speed (a collection, read in order as in Flink); `setParallelism(n)` still splits it.
   */
  readonly defaultParallelism?: number;
  /** Whether the source ends by itself. */
  readonly bounded: boolean;
  /** Records it delivers in total, when known up front (the CLI shows progress as a share of it). */
  readonly count?: number;
  /**
   * Whether a reader can resume from a recorded position, so a restored job re-reads exactly what followed the
   * checkpoint. A job that checkpoints with a source that cannot gets at-most-once input from it (and a warning).
   */
  readonly rewindable: boolean;
  /** For a source that cannot rewind: what a restore does with its input, in the warning (default: at-most-once). */
  readonly restartNote?: string;
  /** Main thread, fresh start: the splits to read, with their start positions. */
  enumerateSplits(parallelism: number): SourceSplit[] | Promise<SourceSplit[]>;
  /**
   * Main thread, optional, once when a job resumes (before any thread starts): for a source whose splits come from
   * its configuration (streams, files), the splits to read now, given those the checkpoint restored. Without it the
   * restored splits are read as they are, whatever the configuration says now.
   */
  restoreSplits?(restored: readonly SourceSplit[]): SplitRestore | Promise<SplitRestore>;
  /**
   * Optional, any thread: the subtask (0 .. parallelism-1) that reads `split`, a function of the split alone (not
   * of the other splits, nor of where it was before). Used wherever splits are dealt: a fresh start, every restore
   * and restart, at any parallelism. For a reader that adds splits by itself while it runs (the file source
   * discovering new files): each reader adds only the splits it owns, so no two read one. Without it split i of
   * the list goes to subtask i mod parallelism, and a restore at the parallelism of its checkpoint keeps each
   * subtask's splits where they were.
   */
  ownerOf?(split: SourceSplit, parallelism: number): number;
  /**
   * Worker thread: a reader of `splits` (fresh or restored) for subtask `subtask` of `parallelism`; `context`: what
   * the run gives its readers (given by the runtime; optional for readers built by hand, in tests).
   */
  createReader(subtask: number, parallelism: number, splits: SourceSplit[], context?: ReaderContext): SourceReader<T>;
}

/** What a running job gives a source's reader. */
export interface ReaderContext {
  /** Says `message` as the run's warning (`onWarning`, the CLI's log), from the reader's thread. */
  warn(message: string): void;
}

/** What `restoreSplits` decided. */
export interface SplitRestore {
  /** The splits to read: restored ones still configured, with their positions; added ones at their configured start. */
  readonly splits: SourceSplit[];
  /** Where the configuration and the restored splits differ, each a clause for a warning naming the source. */
  readonly notes?: readonly string[];
  /**
   * Set when the restored splits cannot be read under this configuration at all (why, as a clause): the restore is
   * refused, or with allowNonRestoredState the positions are dropped and the source starts as if fresh.
   */
  readonly incompatible?: string;
}

/**
 * Deals splits to subtasks: by `ownerOf` when given (SourceSpec.ownerOf), else split i to subtask i mod parallelism
 * (stable, so a restore at the same parallelism keeps them in place).
 */
export function assignSplits(splits: readonly SourceSplit[], parallelism: number, ownerOf?: (split: SourceSplit, parallelism: number) => number): SourceSplit[][] {
  const out: SourceSplit[][] = Array.from({ length: parallelism }, () => []);
  splits.forEach((s, i) => {
    const to = ownerOf === undefined ? i % parallelism : ownerOf(s, parallelism);
    if (!(Number.isInteger(to) && to >= 0 && to < parallelism)) throw new RangeError(`ownerOf(${JSON.stringify(s.id)}, ${parallelism}) returned ${String(to)}, not a subtask from 0 to ${parallelism - 1}`);
    out[to]!.push(s);
  });
  return out;
}

/** A source's `ownerOf`, as a function (undefined without one); one that throws names the source (`operator`). */
export function ownerOfSource(spec: Pick<SourceSpec<unknown>, 'ownerOf' | 'kind'> | undefined, operator: string): ((split: SourceSplit, parallelism: number) => number) | undefined {
  if (spec?.ownerOf === undefined) return undefined;
  return (split, parallelism) => {
    try {
      return spec.ownerOf!(split, parallelism);
    } catch (e) {
      throw sourceSplitsError(operator, spec.kind, 'ownerOf', e);
    }
  };
}

/** A source's split hook threw on the main thread: the error names the source, its kind and the hook. */
export function sourceSplitsError(operator: string, kind: string, hook: string, e: unknown): SourceSplitsError {
  return new SourceSplitsError(`source '${operator}' (${kind}): ${hook} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e, hook });
}
