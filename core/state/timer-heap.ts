// Runs on: the worker thread of a keyed operator instance. A binary min-heap of (timestamp, key) timers, in
// parallel arrays (no object per timer). Deleted timers stay until they reach the top and are skipped there. The
// "key" is whatever the owner finds its timer by (TimerQueue: the key's state entry, so firing needs no lookup).

import type { Key } from '../graph/key-groups.js';

/** Least high-water mark (timers) at which a heap that has shrunk to a quarter of it gets smaller arrays. */
const SHRINK_FROM = 4096;

export class TimerHeap<K = Key> {
  private ts: number[] = [];
  private keys: K[] = [];
  /**
   * The most timers held since the arrays were last made. V8 does not give back an array's capacity as it pops:
   * once the final watermark had fired a million timers, the two arrays still held ~20 MB, empty.
   */
  private peak = 0;

  get size(): number {
    return this.ts.length;
  }

  /** Earliest timestamp, or Infinity when empty. */
  peekTime(): number {
    return this.ts.length === 0 ? Infinity : this.ts[0]!;
  }

  peekKey(): K {
    return this.keys[0]!;
  }

  push(t: number, key: K): void {
    const ts = this.ts;
    const keys = this.keys;
    let i = ts.length;
    ts.push(t);
    keys.push(key);
    if (i >= this.peak) this.peak = i + 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (ts[p]! <= t) break;
      ts[i] = ts[p]!;
      keys[i] = keys[p]!;
      i = p;
    }
    ts[i] = t;
    keys[i] = key;
  }

  /** Removes the top. */
  pop(): void {
    const ts = this.ts;
    const keys = this.keys;
    const lastT = ts.pop()!;
    const lastK = keys.pop()!;
    const n = ts.length;
    if (n < this.peak >> 2 && this.peak >= SHRINK_FROM) {
      // Copies of what is left (amortised: at least three quarters of the peak were popped since the last copy).
      this.ts = ts.slice();
      this.keys = keys.slice();
      this.peak = n;
    }
    this.sift(n, lastT, lastK);
  }

  /** Moves (lastT, lastK) down from the root into a heap of `n` (the last element taken out). */
  private sift(n: number, lastT: number, lastK: K): void {
    if (n === 0) return;
    const ts = this.ts;
    const keys = this.keys;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && ts[r]! < ts[l]! ? r : l;
      if (ts[c]! >= lastT) break;
      ts[i] = ts[c]!;
      keys[i] = keys[c]!;
      i = c;
    }
    ts[i] = lastT;
    keys[i] = lastK;
  }

  clear(): void {
    this.ts = [];
    this.keys = [];
    this.peak = 0;
  }
}
