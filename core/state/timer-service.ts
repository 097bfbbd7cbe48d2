// Runs on: the worker thread of a keyed operator instance. Event-time and processing-time timers per key.
//
// A timer is (key, timestamp), registered at most once. Timers are keyed state (an internal table per time
// domain, key -> its timestamps), so they are checkpointed, restored and rescaled with the key's group; a heap
// orders them for firing and is rebuilt from the tables after a restore. Event-time timers fire, in timestamp
// order, once the watermark reaches their timestamp; processing-time timers once the wall clock does.
//
// Fast path (`inlineSingle`, on by default): a key's timestamps are a plain number while it holds one timer,
// which is what most keys hold (an auction's end, a window's end), and a sorted array only from two on. A key
// then costs no array, and no garbage when its timer fires; a key holding several adds its latest by push and
// drops its earliest by shift, not splice. Off: always an array (the layout of earlier checkpoints, which restore
// either way), changed by splice.
//
// Fast path (`groupTimes`, on with inlineSingle by default): timers of one timestamp registered close together (a
// window's end, registered by every key that has the window) share one heap node, a batch (the first of a time has a
// node of its own, which the heap may take before or after it: no order among timers of one time is kept, as in
// Flink), so the heap holds about one node per timestamp instead of one per timer, and firing them does not
// sift the heap each time. A timestamp is found among the last few registered (RECENT): no Map per timestamp, and
// timers at distinct times (an auction's end) cost a scan of a few numbers. And with inlineSingle, a key's one timer
// firing keeps its entry until its onTimer returns (FIRING), for the timer it may register there.

import type { Key } from '../graph/key-groups.js';
import type { KeyedStateBackend } from './keyed-state-backend.js';
import { isRemoved, type StateEntry, type StateTable } from './state-table.js';
import { TimerHeap } from './timer-heap.js';

export type TimeDomain = 'event' | 'processing';

/** A key's timestamps: one, or two and more sorted ascending (never an empty array: the key is removed). */
type Times = number | number[];

/** The timestamps of a Times value as a list (off the hot path: it may allocate). */
function listOf(v: Times): readonly number[] {
  return typeof v === 'number' ? [v] : v;
}

export interface TimerServiceOptions {
  /** A key with one timer holds it as a number, not a one-element array (default true). */
  inlineSingle?: boolean;
  /** Timers of one timestamp registered close together share a heap node (default: as inlineSingle). */
  groupTimes?: boolean;
}

/**
 * The timestamps of a key whose one timer is firing (fast path): its entry stays in the table until its onTimer
 * returns, so a timer the key registers there (an auction's retain timer, a sweep moved on) takes the entry back
 * without a Map delete and set and a new entry. Never written to; no timestamps, so it counts as none.
 */
const FIRING: number[] = Object.freeze([]) as unknown as number[];

/** How many of the latest registered timestamps a timer's is looked for among (to join their batch). */
const RECENT = 8;

/** Timers of one timestamp, one heap node: fired from `next` on, in the order they were added. */
class TimerBatch {
  readonly entries: StateEntry<Times>[];
  next = 0;
  /** Taken off the heap: a timer of its time registered now needs a node of its own. */
  done = false;
  constructor(first: StateEntry<Times>) { this.entries = [first]; }
}

class TimerQueue {
  /**
   * Timers by the key's entry in `table` (a timer table has no TTL: an entry stays the key's until it is removed,
   * and a key written again after that gets a new one): firing finds the key's timestamps without a Map lookup.
   * (It saved 0-5% of the firing's CPU at 50 k-1 M keys: the cache misses of the key's hash slot move to the Map
   * delete of a fired key's entry, 54% of the firing in a profile at 1 M.) A deleted timer's entry stays here until it pops.
   */
  readonly heap = new TimerHeap<StateEntry<Times> | TimerBatch>();
  /**
   * groupTimes: the latest registered timestamps (a ring, `recentAt` the next slot) and the batch collecting the
   * later timers of each (undefined: one timer so far, in a node of its own).
   */
  private readonly recentTs: Float64Array | undefined;
  private readonly recentBatch: (TimerBatch | undefined)[] = [];
  private recentAt = 0;

  constructor(readonly table: StateTable<Times>, private readonly inlineSingle: boolean, groupTimes: boolean) {
    if (groupTimes) {
      this.recentTs = new Float64Array(RECENT).fill(NaN);
      for (let i = 0; i < RECENT; i++) this.recentBatch.push(undefined);
    }
  }

  /** Puts a timer of entry `e` at `ts` on the heap: into the batch of its timestamp when it has one lately. */
  private schedule(ts: number, e: StateEntry<Times>): void {
    const recent = this.recentTs;
    if (recent === undefined) { this.heap.push(ts, e); return; }
    for (let i = 0; i < RECENT; i++) {
      if (recent[i] !== ts) continue;
      const b = this.recentBatch[i];
      if (b !== undefined && !b.done) { b.entries.push(e); return; }
      // The second timer of this time lately (or its batch has fired): a batch for it and those that follow.
      const made = new TimerBatch(e);
      this.recentBatch[i] = made;
      this.heap.push(ts, made);
      return;
    }
    const at = this.recentAt;
    recent[at] = ts;
    this.recentBatch[at] = undefined;
    this.recentAt = at === RECENT - 1 ? 0 : at + 1;
    this.heap.push(ts, e);
  }

  register(key: Key, ts: number): void {
    const table = this.table;
    const e = table.entry(key);
    let held = e;
    if (e === undefined) {
      held = table.create(key, this.inlineSingle ? ts : [ts]);
    } else {
      const v = e.value;
      if (typeof v === 'number') {
        if (v === ts) return;
        e.value = v < ts ? [v, ts] : [ts, v];
      } else if (v === FIRING) {
        e.value = ts;
      } else {
        // Sorted, usually tiny: find the slot from the end (timers mostly arrive in time order).
        let i = v.length;
        while (i > 0 && v[i - 1]! > ts) i--;
        if (i > 0 && v[i - 1] === ts) return;
        // Fast path: the latest goes on by push (splice makes an array of the none it removed).
        if (this.inlineSingle && i === v.length) v.push(ts); else v.splice(i, 0, ts);
      }
      table.touched(e);
    }
    this.schedule(ts, held!);
  }

  /** Removes the timer (key, ts); true when it was held. */
  delete(key: Key, ts: number): boolean {
    const e = this.table.entry(key);
    return e !== undefined && this.drop(e, ts);
  }

  /** Takes the earliest live timer due at `upTo` (removing it), or returns false. */
  takeDue(upTo: number, out: { key: Key; ts: number }): boolean {
    const heap = this.heap;
    while (heap.peekTime() <= upTo) {
      const ts = heap.peekTime();
      const node = heap.peekKey();
      let e: StateEntry<Times>;
      if (node instanceof TimerBatch) {
        // Off the heap once its last timer is taken (one added by the timers it fires still fires from here).
        if (node.next === node.entries.length) { node.done = true; heap.pop(); continue; }
        e = node.entries[node.next++]!;
      } else {
        e = node;
        heap.pop();
      }
      // Deleted (or already fired: a timer registered again after a delete is in the heap twice).
      if (isRemoved(e) || !this.drop(e, ts, true)) continue;
      out.key = e.key;
      out.ts = ts;
      return true;
    }
    return false;
  }

  /** Every timer held now, earliest first. */
  pending(): { key: Key; ts: number }[] {
    const out: { key: Key; ts: number }[] = [];
    for (const e of this.table.entries.values()) for (const ts of listOf(e.value)) out.push({ key: e.key, ts });
    return out.sort((a, b) => a.ts - b.ts);
  }

  /**
   * The entry of the key whose last timer is firing (FIRING), removed once its onTimer has returned (settle) unless
   * it registered another timer meanwhile.
   */
  private firing: StateEntry<Times> | undefined = undefined;

  /** After the onTimer of the timer takeDue took: its key's entry goes if the key holds no timer now. */
  settle(): void {
    const e = this.firing;
    if (e === undefined) return;
    this.firing = undefined;
    if (e.value === FIRING) this.table.delete(e);
  }

  /** Removes `ts` from the key's entry; false when the key holds no such timer. `firing`: takeDue's (see FIRING). */
  private drop(e: StateEntry<Times>, ts: number, firing = false): boolean {
    const table = this.table;
    const v = e.value;
    if (typeof v === 'number') {
      if (v !== ts) return false;
      if (firing && this.inlineSingle) {
        e.value = FIRING;
        this.firing = e;
      } else {
        table.delete(e);
      }
      return true;
    }
    const i = v.indexOf(ts);
    if (i < 0) return false;
    if (v.length === 1) table.delete(e);
    else {
      if (v.length === 2 && this.inlineSingle) e.value = v[1 - i]!;
      // Fast path: timers fire earliest first, and shift drops the first without an array of what it removed.
      else if (this.inlineSingle && i === 0) v.shift();
      else v.splice(i, 1);
      table.touched(e);
    }
    return true;
  }

  /** Timers held (both layouts). */
  get size(): number {
    let n = 0;
    for (const e of this.table.entries.values()) n += listOf(e.value).length;
    return n;
  }

  rebuild(): void {
    this.heap.clear();
    if (this.recentTs !== undefined) { this.recentTs.fill(NaN); this.recentBatch.fill(undefined); }
    for (const e of this.table.entries.values()) for (const ts of listOf(e.value)) this.schedule(ts, e);
  }
}

export class TimerService {
  private readonly event: TimerQueue;
  private readonly processing: TimerQueue;
  private readonly due = { key: '' as Key, ts: 0 };

  constructor(backend: KeyedStateBackend, options: TimerServiceOptions = {}) {
    const inline = options.inlineSingle ?? true;
    const group = options.groupTimes ?? inline;
    this.event = new TimerQueue(backend.table<Times>('__timers/event', 'internal', undefined), inline, group);
    this.processing = new TimerQueue(backend.table<Times>('__timers/processing', 'internal', undefined), inline, group);
  }

  register(domain: TimeDomain, key: Key, ts: number): void {
    (domain === 'event' ? this.event : this.processing).register(key, ts);
  }

  delete(domain: TimeDomain, key: Key, ts: number): void {
    (domain === 'event' ? this.event : this.processing).delete(key, ts);
  }

  /** Fires every timer of `domain` due at `upTo`, earliest first, including timers registered while firing. */
  fire(domain: TimeDomain, upTo: number, onTimer: (key: Key, ts: number) => void): void {
    const q = domain === 'event' ? this.event : this.processing;
    const d = this.due;
    while (q.takeDue(upTo, d)) {
      try { onTimer(d.key, d.ts); } finally { q.settle(); }
    }
  }

  /**
   * `fire`, in a slice: stops once `max` have fired or `stop()` says so (asked after each). Returns how many fired,
   * or -1 when none due is left.
   */
  fireSome(domain: TimeDomain, upTo: number, max: number, stop: () => boolean, onTimer: (key: Key, ts: number) => void): number {
    const q = domain === 'event' ? this.event : this.processing;
    const d = this.due;
    let n = 0;
    while (n < max) {
      if (!q.takeDue(upTo, d)) return n === 0 ? -1 : n;
      try { onTimer(d.key, d.ts); } finally { q.settle(); }
      n++;
      if (stop()) break;
    }
    return n;
  }

  /**
   * Fires, once, every timer of `domain` held now, earliest first (end of input); a timer registered while they
   * fire does not fire, so a trigger that re-arms itself cannot keep this going.
   */
  fireHeld(domain: TimeDomain, onTimer: (key: Key, ts: number) => void): void {
    const q = domain === 'event' ? this.event : this.processing;
    for (const { key, ts } of q.pending()) if (q.delete(key, ts)) onTimer(key, ts);
  }

  /** Earliest pending processing-time timer (it may have been deleted), or Infinity. */
  nextProcessingTime(): number {
    return this.processing.heap.peekTime();
  }

  /** Event-time timers held. */
  get eventCount(): number {
    return this.event.size;
  }

  /** Timers of both domains (for tests and metrics). */
  get size(): number {
    return this.event.size + this.processing.size;
  }

  /** After a restore: the heaps from the restored tables. */
  rebuild(): void {
    this.event.rebuild();
    this.processing.rebuild();
  }
}
