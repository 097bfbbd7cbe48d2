// Runs on: the worker thread of a keyed operator instance (inside its TypedStateTable). Which slot a key's row
// is in: int32 keys in an open-addressing hash table of their own, every other key in a Map.
//
// Why: with a million keys, a V8 Map lookup reads a bucket and then the entry it points to, two cache misses,
// and in the checkpoint benchmark's job (1 M keys, a running sum) Map.get was half of each worker's time (perf:
// Builtins_FindOrderedHashMapEntry). Here a key and its slot sit side by side in one Int32Array, so a lookup is
// one miss: linear probing at a load of at most 1/2 rarely leaves the cache line.
//
//   pairs: [key, slot + 1] [key, slot + 1] ...      slot + 1 === 0: the pair is empty
//   home of key k: Math.imul(k, φ·2^32) >>> (32 - log2 capacity)    (Fibonacci hashing: ids in a row spread out)
//
// Removal shifts the pairs after a removed one back (no tombstones), so a probe stops at the first empty pair.
// -0 is 0 here, as in a Map.

import type { Key } from '../graph/key-groups.js';

const MIN_CAPACITY_BITS = 4;
/** 2^32 / the golden ratio, as an int32. */
const FIB = 0x9e3779b9 | 0;

export class KeySlots {
  /** Pairs (key, slot + 1); capacity pairs, a power of two. */
  private pairs: Int32Array;
  private mask: number;
  private shift: number;
  /** Int32 keys in `pairs`. */
  private count = 0;
  /** Every other key (strings, bigints, numbers that are not int32), and every key with the fast path off. */
  private readonly other = new Map<Key, number>();

  /** `fast` false: every key goes to the Map (the fast path's switch; tests run both ways). */
  constructor(readonly fast = true) {
    this.pairs = new Int32Array(2 << MIN_CAPACITY_BITS);
    this.mask = (1 << MIN_CAPACITY_BITS) - 1;
    this.shift = 32 - MIN_CAPACITY_BITS;
  }

  get size(): number {
    return this.count + this.other.size;
  }

  /** The slot of `key`, or -1. */
  get(key: Key): number {
    if (typeof key === 'number' && (key | 0) === key && this.fast) {
      const t = this.pairs;
      for (let i = Math.imul(key, FIB) >>> this.shift; ; i = (i + 1) & this.mask) {
        const s = t[2 * i + 1]!;
        if (s === 0) return -1;
        if (t[2 * i] === key) return s - 1;
      }
    }
    const s = this.other.get(key);
    return s === undefined ? -1 : s;
  }

  /** Files `key` under `slot`. The key must have no slot yet (the caller asked get first): the table would hold it twice. */
  add(key: Key, slot: number): void {
    if (typeof key === 'number' && (key | 0) === key && this.fast) {
      if (2 * (this.count + 1) > this.mask + 1) this.grow();
      this.place(key, slot);
      this.count++;
    } else {
      this.other.set(key, slot);
    }
  }

  /** Forgets `key`; false if it had no slot. */
  delete(key: Key): boolean {
    if (!(typeof key === 'number' && (key | 0) === key && this.fast)) return this.other.delete(key);
    const t = this.pairs;
    const mask = this.mask;
    let i = Math.imul(key, FIB) >>> this.shift;
    for (; ; i = (i + 1) & mask) {
      if (t[2 * i + 1] === 0) return false;
      if (t[2 * i] === key) break;
    }
    // Pairs after the hole that may not sit past it (their home is not in (hole, j]) move back into it.
    for (let j = (i + 1) & mask; t[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = Math.imul(t[2 * j]!, FIB) >>> this.shift;
      if (((j - home) & mask) >= ((j - i) & mask)) {
        t[2 * i] = t[2 * j]!;
        t[2 * i + 1] = t[2 * j + 1]!;
        i = j;
      }
    }
    t[2 * i] = 0;
    t[2 * i + 1] = 0;
    this.count--;
    return true;
  }

  /** Every key: int32 keys in table order (not insertion order, unlike a Map's), then the others. */
  *keys(): IterableIterator<Key> {
    const t = this.pairs;
    for (let i = 0; i < t.length; i += 2) if (t[i + 1] !== 0) yield t[i]!;
    yield* this.other.keys();
  }

  private place(key: number, slot: number): void {
    const t = this.pairs;
    let i = Math.imul(key, FIB) >>> this.shift;
    while (t[2 * i + 1] !== 0) i = (i + 1) & this.mask;
    t[2 * i] = key;
    t[2 * i + 1] = slot + 1;
  }

  private grow(): void {
    const old = this.pairs;
    const capacity = 2 * (this.mask + 1);
    this.pairs = new Int32Array(2 * capacity);
    this.mask = capacity - 1;
    this.shift = 32 - Math.log2(capacity);
    for (let i = 0; i < old.length; i += 2) if (old[i + 1] !== 0) this.place(old[i]!, old[i + 1]! - 1);
  }
}
