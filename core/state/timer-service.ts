// Runs on: the worker thread of a keyed operator instance. Event-time and processing-time timers per key.
//
// A timer is (key, timestamp), registered at most once. Timers are keyed state (an internal table per time
// domain, key -> sorted timestamps), so they are checkpointed, restored and rescaled with the key's group; a heap
// orders them for firing and is rebuilt from the tables after a restore. Event-time timers fire, in timestamp
// order, once the watermark reaches their timestamp; processing-time timers once the wall clock does.

import type { Key } from '../graph/key-groups.js';
import type { KeyedStateBackend } from './keyed-state-backend.js';
import type { StateTable } from './state-table.js';
import { TimerHeap } from './timer-heap.js';

export type TimeDomain = 'event' | 'processing';

class TimerQueue {
  readonly heap = new TimerHeap();
  constructor(readonly table: StateTable<number[]>) {}

  register(key: Key, ts: number): void {
    const e = this.table.entry(key);
    if (e === undefined) {
      this.table.put(key, [ts]);
    } else {
      const list = e.value;
      // Sorted, usually tiny: find the slot from the end (timers mostly arrive in time order).
      let i = list.length;
      while (i > 0 && list[i - 1]! > ts) i--;
      if (i > 0 && list[i - 1] === ts) return;
      list.splice(i, 0, ts);
      this.table.touched(e);
    }
    this.heap.push(ts, key);
  }

  delete(key: Key, ts: number): void {
    const e = this.table.entry(key);
    if (e === undefined) return;
    const i = e.value.indexOf(ts);
    if (i < 0) return;
    if (e.value.length === 1) this.table.remove(key);
    else { e.value.splice(i, 1); this.table.touched(e); }
  }

  /** Takes the earliest live timer due at `upTo` (removing it), or returns false. */
  takeDue(upTo: number, out: { key: Key; ts: number }): boolean {
    const heap = this.heap;
    while (heap.peekTime() <= upTo) {
      const ts = heap.peekTime();
      const key = heap.peekKey();
      heap.pop();
      const e = this.table.entry(key);
      // Deleted (or already fired: a timer registered again after a delete is in the heap twice).
      const i = e === undefined ? -1 : e.value.indexOf(ts);
      if (i < 0) continue;
      if (e!.value.length === 1) this.table.remove(key);
      else { e!.value.splice(i, 1); this.table.touched(e!); }
      out.key = key;
      out.ts = ts;
      return true;
    }
    return false;
  }

  rebuild(): void {
    this.heap.clear();
    for (const e of this.table.entries.values()) for (const ts of e.value) this.heap.push(ts, e.key);
  }
}

export class TimerService {
  private readonly event: TimerQueue;
  private readonly processing: TimerQueue;
  private readonly due = { key: '' as Key, ts: 0 };

  constructor(backend: KeyedStateBackend) {
    this.event = new TimerQueue(backend.table<number[]>('__timers/event', 'internal', undefined));
    this.processing = new TimerQueue(backend.table<number[]>('__timers/processing', 'internal', undefined));
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
    while (q.takeDue(upTo, d)) onTimer(d.key, d.ts);
  }

  /** Earliest pending processing-time timer (it may have been deleted), or Infinity. */
  nextProcessingTime(): number {
    return this.processing.heap.peekTime();
  }

  /** Timers of both domains (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const q of [this.event, this.processing]) for (const e of q.table.entries.values()) n += e.value.length;
    return n;
  }

  /** After a restore: the heaps from the restored tables. */
  rebuild(): void {
    this.event.rebuild();
    this.processing.rebuild();
  }
}
