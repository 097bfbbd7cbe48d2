// Runs on: the worker thread of a keyed operator instance. A binary min-heap of (timestamp, key) timers, in
// parallel arrays (no object per timer). Deleted timers stay until they reach the top and are skipped there.

import type { Key } from '../graph/key-groups.js';

export class TimerHeap {
  private ts: number[] = [];
  private keys: Key[] = [];

  get size(): number {
    return this.ts.length;
  }

  /** Earliest timestamp, or Infinity when empty. */
  peekTime(): number {
    return this.ts.length === 0 ? Infinity : this.ts[0]!;
  }

  peekKey(): Key {
    return this.keys[0]!;
  }

  push(t: number, key: Key): void {
    const ts = this.ts;
    const keys = this.keys;
    let i = ts.length;
    ts.push(t);
    keys.push(key);
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
    if (n === 0) return;
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
  }
}
