// Runs on: main thread. `handle.output(name)`: a collect sink's records as an async iterable while the job runs.
// With checkpoints, records come as each checkpoint commits them (exactly once, across restarts too); without,
// as the sink's subtasks flush (core/runtime/live-records.ts). A reader that falls a bound behind slows the job to
// its pace (backpressure, `Flow`): without checkpoints the sink's subtasks stop taking input
// (core/runtime/output-credit.ts), with them the sources stop reading (core/runtime/output-hold.ts).

/** Where a collect sink hands its records once a reader is attached (instead of keeping them for the result). */
export interface OutputTarget<T> {
  deliver(items: readonly T[]): void;
}

interface Waiter<T> {
  resolve: (r: IteratorResult<T>) => void;
  reject: (e: unknown) => void;
}

const DONE: IteratorResult<never> = { value: undefined, done: true };

/** Backpressure from the reader to the job: told when records come, when it reads, and when it stops. */
export interface Flow {
  start(): void;
  /** Records were queued: `unread` wait for the reader now. */
  queued?(unread: number): void;
  /** A record was read; `unread` are left. */
  took(unread: number): void;
  stop(): void;
  /** The job waits for the reader now. */
  holding(): boolean;
}

/** A reader that has held the job this long without reading is warned about (once per stall). */
export const READER_STALL_MS = 5000;

export class OutputStream<T> implements AsyncIterableIterator<T>, OutputTarget<T> {
  private queue: T[] = [];
  private head = 0;
  /** Calls of next() not answered yet, oldest first (as an async generator queues them). */
  private waiters: Waiter<T>[] = [];
  private ended = false;
  private error: unknown = undefined;
  /** The end (or error) was handed out, or the reader returned: every later next() is done. */
  private closed = false;
  private lastReadAt = performance.now();
  private stallWatch: ReturnType<typeof setInterval> | undefined;

  /**
   * `detach`: called once when the reader stops early (break, return()), with what it had not read: the sink keeps
   * those, and the records after them, for the result again. `stalled`: told once per stall when the job has waited
   * `stallMs` for a reader that read nothing (a reader created, then left unread while the caller awaits the
   * result, holds the job for good: without a word it would look like a hang).
   */
  constructor(private readonly detach: (unread: T[]) => void, private readonly flow?: Flow, stalled?: (waitedMs: number, unread: number) => void, stallMs = READER_STALL_MS) {
    if (flow === undefined || stalled === undefined) return;
    let told = false;
    /** When this watch first saw the job held (NaN: not held): a reader idle before the hold is not a stall. */
    let heldSince = NaN;
    this.stallWatch = setInterval(() => {
      // A reader waiting in next() is not holding the job: the job has nothing for it yet (with checkpoints, records
      // wait for a commit; a slow checkpoint is not the reader's fault).
      if (!flow.holding() || this.waiters.length > 0) { heldSince = NaN; told = false; return; }
      const now = performance.now();
      if (heldSince !== heldSince) heldSince = now;
      const waited = now - Math.max(heldSince, this.lastReadAt);
      if (waited < stallMs) { told = false; return; }
      if (!told) { told = true; stalled(waited, this.queue.length - this.head); }
    }, Math.min(1000, stallMs / 2));
    this.stallWatch.unref();
  }

  deliver(items: readonly T[]): void {
    if (this.closed) return;
    let i = 0;
    while (i < items.length && this.waiters.length > 0) {
      this.waiters.shift()!.resolve({ value: items[i++]!, done: false });
      this.lastReadAt = performance.now();
      this.flow?.took(0);
    }
    if (i === items.length) return;
    for (; i < items.length; i++) this.queue.push(items[i]!);
    this.flow?.queued?.(this.queue.length - this.head);
  }

  /** The job ended (`error`: it failed): the reader gets what is queued, then the end or the error. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    clearInterval(this.stallWatch);
    // Waiters exist only while the queue is empty. The first gets the end or the error; later ones are done.
    this.waiters.splice(0).forEach((w, i) => (i === 0 ? this.settleEnd(w) : w.resolve(DONE)));
  }

  next(): Promise<IteratorResult<T>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head++]!;
      this.lastReadAt = performance.now();
      this.flow?.took(this.queue.length - this.head);
      // Let go of what was read (an unbounded job's reader runs for as long as the job does).
      if (this.head >= 1024 && this.head * 2 >= this.queue.length) { this.queue = this.queue.slice(this.head); this.head = 0; }
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve(DONE);
    return new Promise((resolve, reject) => {
      if (this.ended) this.settleEnd({ resolve, reject });
      else this.waiters.push({ resolve, reject });
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.stallWatch);
      const unread = this.queue.slice(this.head);
      this.queue = [];
      this.head = 0;
      // A next() still waiting (a cleanup that returns while a read is pending) is done, not left hanging.
      for (const w of this.waiters.splice(0)) w.resolve(DONE);
      this.detach(unread);
      // Gone: the job goes on at its own pace, collecting for the result.
      this.flow?.stop();
    }
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private settleEnd(w: Waiter<T>): void {
    this.closed = true;
    if (this.error !== undefined) w.reject(this.error);
    else w.resolve(DONE);
  }
}
