// Runs on: main thread. `handle.output(name)`: a collect sink's records as an async iterable while the job runs.
// With checkpoints, records come as each checkpoint commits them (exactly once, across restarts too); without,
// when the job ends. The queue is unbounded: a reader slower than the job holds what it has not read yet.

/** Where a collect sink hands its records once a reader is attached (instead of keeping them for the result). */
export interface OutputTarget<T> {
  deliver(items: readonly T[]): void;
}

export class OutputStream<T> implements AsyncIterableIterator<T>, OutputTarget<T> {
  private queue: T[] = [];
  private head = 0;
  private waiter: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private error: unknown = undefined;
  private closed = false;

  /**
   * `detach`: called once when the reader stops early (break, return()), with what it had not read: the sink keeps
   * those, and the records after them, for the result again.
   */
  constructor(private readonly detach: (unread: T[]) => void) {}

  deliver(items: readonly T[]): void {
    if (this.closed || items.length === 0) return;
    if (this.waiter !== undefined && this.head === this.queue.length) {
      const w = this.waiter;
      this.waiter = undefined;
      for (let i = 1; i < items.length; i++) this.queue.push(items[i]!);
      w.resolve({ value: items[0]!, done: false });
      return;
    }
    for (const v of items) this.queue.push(v);
  }

  /** The job ended (`error`: it failed): the reader gets what is queued, then the end or the error. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    if (this.waiter !== undefined && this.head === this.queue.length) {
      const w = this.waiter;
      this.waiter = undefined;
      this.settleEnd(w);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      // Let go of what was read (an unbounded job's reader runs for as long as the job does).
      if (this.head >= 1024 && this.head * 2 >= this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    if (this.ended) return new Promise((resolve, reject) => this.settleEnd({ resolve, reject }));
    if (this.waiter !== undefined) return Promise.reject(new Error('output: next() called again before the previous call settled'));
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      const unread = this.queue.slice(this.head);
      this.queue = [];
      this.head = 0;
      this.detach(unread);
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleEnd(w: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }): void {
    this.closed = true;
    if (this.error !== undefined) w.reject(this.error);
    else w.resolve({ value: undefined, done: true });
  }
}
