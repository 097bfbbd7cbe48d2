// Runs on: the worker thread of a source subtask. A FIFO of what a source's background reading fetched and `read`
// has not handed out yet: pushed at the tail, taken at the head, without shift()'s copying (linear per call).
// The taken prefix is dropped once it is half the array, so a consumer that never quite catches up does not keep a
// slot for every item ever queued (it did: 2.7 M slots for 7.5 k items waiting).

/** Taken items at the head before the array is compacted, at least: compacting a short array buys nothing. */
const COMPACT_AT = 1024;

export class RecordQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** The next item; the queue must not be empty (`size > 0`). */
  take(): T {
    const x = this.items[this.head]!;
    this.items[this.head++] = undefined;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return x;
  }
}
