// Runs on: the thread of the reader that owns it (a source subtask's worker, or wherever an async-I/O core runs).
//
// The promise behind a non-blocking reader's `ready()`: background work (a file read, socket data, a Redis
// reply, a completed request) calls `notify()`; the task loop awaits `wait()` after a read found nothing.
// A notify with nobody waiting is remembered, so a wake-up that lands between `read()` returning WAIT and the
// loop calling `ready()` is not lost.

export class Wakeup {
  private resolve: (() => void) | undefined;
  private promise: Promise<void> | undefined;
  private signalled = false;

  /** Resolves at the next `notify()`, or at once if one came since the last wait resolved. */
  wait(): Promise<void> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    this.promise ??= new Promise<void>((r) => { this.resolve = r; });
    return this.promise;
  }

  notify(): void {
    const resolve = this.resolve;
    if (resolve === undefined) {
      this.signalled = true;
      return;
    }
    this.resolve = undefined;
    this.promise = undefined;
    resolve();
  }
}
