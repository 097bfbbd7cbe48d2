// Runs on: main thread (the spec, for planning) and the worker thread running the source subtask (the reader).
//
// A source is split across its parallel subtasks: `createReader(subtask, parallelism)` on each worker returns a
// reader for that split only. Readers never block the thread: they return what they have now.

/** What `read` found: MORE (call again), WAIT (nothing now; await `ready()`), END (split exhausted). */
export const SOURCE_MORE = 0;
export const SOURCE_WAIT = 1;
export const SOURCE_END = 2;
export type SourceStatus = typeof SOURCE_MORE | typeof SOURCE_WAIT | typeof SOURCE_END;

export interface SourceReader<T> {
  /** Emits at most `max` records through `emit`, in order. */
  read(emit: (value: T) => void, max: number): SourceStatus;
  /** After WAIT: resolves when `read` may find data (a timer for a rate limit, a pending promise, ...). */
  ready(): Promise<void>;
  close?(): void | Promise<void>;
}

export interface SourceSpec<T> {
  /** 'generator', 'collection', 'async-iterable', ... */
  readonly kind: string;
  /** Everything about the source that must be identical on every thread: part of the graph's fingerprint. */
  readonly fingerprint: string;
  /** Parallelism this source supports at most (1 for an unsplittable source). */
  readonly maxParallelism: number;
  /** Whether the source ends by itself. */
  readonly bounded: boolean;
  createReader(subtask: number, parallelism: number): SourceReader<T>;
}
