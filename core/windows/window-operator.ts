// Runs on: the worker thread of the window operator's subtask. Flink's WindowOperator: assigns each record to
// its windows, keeps each window's contents as keyed state, asks the trigger when to fire and purge, emits
// results stamped with the window's maxTimestamp, handles late records, and drops a window's state once the
// watermark passes its end + allowed lateness (processing time: its end).
//
// State: one internal table whose key is the record key (so key groups route, snapshot and rescale as for any
// keyed state) and whose value is the key's windows (Slot[], usually one to a few). Timers are the keyed
// TimerService's (key, time) timers; a slot lists the times its trigger registered, so a firing timer finds
// its windows, and a window's cleanup timer is at a time computed from its bounds. Both are checkpointed with
// the key's group and need nothing more here than rebuilding window objects on restore.

import { notAsync } from '../operators/sync-call.js';
import type { Key } from '../graph/key-groups.js';
import { canonicalKey, KeyDecoder, type UserKey } from '../graph/tuple-key.js';
import type { Collector } from '../api/functions.js';
import type { KeyedStateStore } from '../api/state.js';
import type { OutputTag } from '../api/output-tag.js';
import type { ProcessWindowHandler, WindowContext } from '../api/window-functions.js';
import type { OperatorRestore } from '../checkpoint/snapshot.js';
import { isRemoved, type StateEntry, type StateTable } from '../state/state-table.js';
import type { TimeDomain } from '../state/timer-service.js';
import { KeyedOperator } from '../operators/keyed-operator.js';
import type { Downstream } from '../operators/operator.js';
import type { TaskContext } from '../operators/task-context.js';
import { EVENT_TIME_RANGE, MAX_WATERMARK, describeTime, inEventTimeRange } from '../time/watermark.js';
import type { WindowAssigner } from './window-assigner.js';
import { TriggerResult, type OnMergeContext, type Trigger } from './trigger.js';
import { EventTimeTrigger } from './event-time-trigger.js';
import { maxTimestampOf, type Window } from './window.js';
import { makeSlot, restoreSlot, type Slot } from './window-slot.js';
import { contentsOf, windowFnOf, type WindowSpec } from './window-spec.js';
import type { WindowContents, WindowEmitter } from './window-contents.js';
import { removeWindow, windowId, WindowStateStore } from './window-state.js';
import { JobDefinitionError } from '../api/errors.js';

/** The state table of the windows (internal: a user state cannot take the name). */
export const WINDOW_STATE = '__windows';
const NO_STATES: readonly unknown[] = [];
const NO_SLOTS: readonly Slot[] = [];

export class WindowOperator<I, O> extends KeyedOperator<I, O>
  implements OnMergeContext, WindowEmitter, WindowContext<UserKey, Window>, Collector<unknown> {
  private readonly table: StateTable<Slot[]>;
  private readonly assigner: WindowAssigner<Window>;
  private readonly trigger: Trigger<Window>;
  private readonly contents: WindowContents;
  private readonly windowFn: ProcessWindowHandler<unknown, unknown, UserKey, Window> | undefined;
  /** Keys handed to the window function and its context, decoded. */
  private readonly keys = new KeyDecoder();
  private readonly isEventTime: boolean;
  private readonly merging: boolean;
  private readonly lateness: number;
  private readonly lateTag: OutputTag<unknown> | undefined;
  /** The time domain of cleanup timers. */
  private readonly domain: TimeDomain;
  /** Window bounds written by the assigner (start, end, start, end, ...). */
  private readonly bounds: number[] = [];
  /** The window the trigger context, the emitter and the window function work on, and its key's slots. */
  private cur: Slot = makeSlot(0, 0, { maxTimestamp: () => -1 });
  /** The timestamp of the record being added, for its trigger's onElement. */
  private elementTs = Number.NaN;
  private curSlots: Slot[] = [];
  /** Slots being removed together (merging): their timers do not keep each other's alive. */
  private releasing: readonly Slot[] = [];
  mergedStates: readonly unknown[] = NO_STATES;
  private readonly fastTrigger: boolean;
  /**
   * Fast path (spec.fastPaths, the default trigger, no merging): a key's slots are kept sorted by end, so a timer
   * finds its windows by binary search. The default trigger's timers are at a window's end - 1 and its cleanup at
   * end - 1 + lateness: with thousands of open windows (a backlog under a slow watermark) a scan per timer made
   * sliding windows ~20x dearer per record than tumbling ones.
   */
  private readonly byEnd: boolean;
  /**
   * Fast paths (spec.fastPaths) for keys that see about one record per window (many keys, short windows), where
   * nearly every record opens a window and its timer fires once: a new window shares the window object of the last
   * one opened with the same bounds (tumbling windows: every key's window of a period is one immutable object), and
   * with the default trigger its end timer is set directly (without lateness it is the cleanup timer, registered
   * already), not through onElement.
   */
  private readonly sparse: boolean;
  private lastWindow: Window | undefined;
  private lastS = NaN;
  private lastE = NaN;
  /** The end timer list of the windows opened last, and its time (addToNew). */
  private lastEt: number[] = [];
  private lastMax = NaN;
  /** onTimer's windows to act on (reused: one array per timer was garbage at every window's end). */
  private readonly todo: Slot[] = [];
  /** The windows of a key that had none, while a record opens them (fast path): its entry is made after. */
  private readonly fresh: Slot[] = [];
  /** dropSlot's one window being released (reused, as `todo`). */
  private readonly one: Slot[] = [];
  /** Windows held now, every key together (for tests and metrics). */
  windowCount = 0;
  /** The time processing-time timers are firing for (-Infinity: none firing). */
  private firingFor = -Infinity;
  /** The window function's `windowState`, made on first use. */
  private windowStore: WindowStateStore | undefined;
  /** Per-window states' tables (declared, or restored): a window's entries are removed with it. */
  private windowTables: StateTable<Map<string, unknown>>[] = [];

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, protected readonly keyOf: readonly ((v: unknown) => UserKey)[], spec: WindowSpec, tracking: boolean) {
    super(name, ctx, next, tracking);
    this.table = this.backend.table<Slot[]>(WINDOW_STATE, 'internal', undefined);
    this.assigner = spec.assigner;
    this.trigger = spec.trigger;
    this.contents = contentsOf(spec, () => this.elementTs);
    const fn = windowFnOf(spec);
    this.windowFn = fn === undefined ? undefined : typeof fn === 'function' ? { process: fn } : fn;
    this.isEventTime = spec.assigner.isEventTime;
    this.merging = spec.assigner.isMerging;
    this.lateness = this.isEventTime ? spec.allowedLateness : 0;
    this.lateTag = spec.lateTag;
    this.domain = this.isEventTime ? 'event' : 'processing';
    this.fastTrigger = spec.fastPaths && this.trigger.constructor === EventTimeTrigger;
    this.byEnd = this.fastTrigger && !this.merging;
    this.sparse = spec.fastPaths;
  }

  push(value: I): void {
    this.recordsIn++;
    this.element(value, 0);
  }

  /** A record of input `input` (0, or 1 for a join's second input). */
  protected element(value: unknown, input: number): void {
    const ctx = this.ctx;
    let ts: number;
    if (this.isEventTime) {
      ts = ctx.timestamp;
      if (ts !== ts) this.fail(new TypeError('an event-time window got a record without a timestamp: call assignTimestampsAndWatermarks(...) upstream, or use a processing-time window'));
    } else {
      ts = Date.now();
    }
    // Triggers get the record's own timestamp, as in Flink (NaN when it has none), also where the window is chosen
    // by processing time (GlobalWindows, processing-time windows): they used to get the wall clock.
    this.elementTs = ctx.timestamp;
    const wm = ctx.watermark;
    const lateness = this.lateness;
    let added = false;
    let slots: Slot[];
    let entry;
    let key: Key;
    try {
      key = canonicalKey(this.keyOf[input]!(value));
      this.backend.currentKey = key;
      // The window table has no TTL: its entries map is read directly (one call less per record).
      entry = this.table.entries.get(key);
      if (entry !== undefined) slots = entry.value;
      // Fast path: a key without windows gets its entry only once a window opens (below), and then an array of
      // their number: an empty array's first push made room for 16, most of it never used where keys hold one.
      else if (this.sparse) slots = this.fresh;
      else slots = (entry = this.table.put(key, [])).value;
      const n = this.assigner.assign(value, ts, this.bounds);
      const b = this.bounds;
      for (let i = 0; i < n; i++) {
        const s = b[2 * i]!;
        const e = b[2 * i + 1]!;
        if (this.merging) {
          if (this.addMerging(value, input, s, e, wm, slots)) added = true;
          continue;
        }
        // A window whose state is already gone (end + lateness passed): the record is late for it.
        if (this.isEventTime && timerAt(e, lateness) <= wm) continue;
        added = true;
        // Newest first: a record mostly lands in the latest windows, and a key may hold thousands of older ones
        // waiting for the watermark.
        let slot: Slot | undefined;
        for (let k = slots.length - 1; k >= 0; k--) {
          const x = slots[k]!;
          // Sorted by end (fast path): the rest end earlier. A record opening a key's newest window looked at every
          // older one first, each a cold object where the watermark is far behind.
          if (this.byEnd && x.e < e) break;
          if (x.s === s && x.e === e) { slot = x; break; }
        }
        if (slot === undefined) {
          slot = this.newSlot(s, e);
          if (this.byEnd) insertByEnd(slots, slot);
          else slots.push(slot);
          if (this.sparse && this.fastTrigger) { this.addToNew(slot, slots, value, input); continue; }
        }
        this.addTo(slot, slots, value, input);
      }
    } catch (e) {
      this.fresh.length = 0;
      this.fail(e);
    }
    if (entry === undefined) {
      if (slots.length > 0) this.table.create(key, slots.slice());
      emptied(slots);
    } else if (slots.length === 0) this.dropEntry(entry);
    else if (this.table.tracking) this.table.touched(entry);
    // Floored as window bounds are whole ms: a record at 9.7, whose window [0, 10) ended (maxTimestamp 9) at
    // watermark 9, would be neither added nor late (9.7 > 9), and vanish uncounted.
    if (!added && this.isEventTime && Math.min(Math.floor(ts) + lateness, MAX_WATERMARK) <= wm) {
      ctx.timestamp = ts;
      if (this.lateTag !== undefined) this.emitSide(this.lateTag, value);
      else this.lateRecordsDropped++;
    }
  }

  /** Session windows: the record's window merges with every window of the key it overlaps or touches. */
  private addMerging(value: unknown, input: number, s: number, e: number, wm: number, slots: Slot[]): boolean {
    let ms = s;
    let me = e;
    let hits: Slot[] | undefined;
    for (let grew = true; grew;) {
      grew = false;
      for (const x of slots) {
        if (x.s <= me && x.e >= ms && (hits === undefined || !hits.includes(x))) {
          (hits ??= []).push(x);
          if (x.s < ms) ms = x.s;
          if (x.e > me) me = x.e;
          grew = true;
        }
      }
    }
    let slot: Slot;
    if (hits === undefined) {
      if (this.isEventTime && timerAt(e, this.lateness) <= wm) return false;
      slot = this.newSlot(s, e);
      slots.push(slot);
    } else if (hits.length === 1 && hits[0]!.s === ms && hits[0]!.e === me) {
      slot = hits[0]!;
    } else {
      slot = this.mergeSlots(hits, ms, me, slots);
    }
    this.addTo(slot, slots, value, input);
    return true;
  }

  /** Merges `hits` into one window [ms, me): contents, trigger state (onMerge) and timers; keeps hits[0]'s slot. */
  private mergeSlots(hits: Slot[], ms: number, me: number, slots: Slot[]): Slot {
    const target = hits[0]!;
    const states = hits.map((h) => h.t);
    this.curSlots = slots;
    this.releasing = hits;
    for (const h of hits) {
      this.cur = h;
      this.trigger.clear(h.w, this);
      this.releaseTimers(h);
    }
    this.releasing = [];
    for (let k = 1; k < hits.length; k++) {
      this.contents.merge(target, hits[k]!);
      slots.splice(slots.indexOf(hits[k]!), 1);
      this.windowCount--;
    }
    target.s = ms;
    target.e = me;
    target.w = this.assigner.window(ms, me);
    target.t = undefined;
    target.et = undefined;
    target.pt = undefined;
    this.cur = target;
    this.mergedStates = states;
    try { this.trigger.onMerge(target.w, this); } finally { this.mergedStates = NO_STATES; }
    this.registerCleanup(target);
    return target;
  }

  private newSlot(s: number, e: number): Slot {
    const slot = makeSlot(s, e, this.windowOf(s, e));
    this.windowCount++;
    this.registerCleanup(slot);
    return slot;
  }

  /** The window object of [s, e): on the fast path, the last one made when its bounds are the same (windows are immutable). */
  private windowOf(s: number, e: number): Window {
    if (!this.sparse) return this.assigner.window(s, e);
    if (s === this.lastS && e === this.lastE) return this.lastWindow!;
    const w = this.assigner.window(s, e);
    this.lastWindow = w;
    this.lastS = s;
    this.lastE = e;
    return w;
  }

  /**
   * When the window's state goes: event time, end + lateness, at most the final watermark (as Flink caps it: a
   * window at the top of event time goes at the end, and a record after that is late); processing time, its end;
   * never for a global window.
   */
  private cleanupTime(slot: Slot): number {
    if (this.isEventTime) return timerAt(slot.e, this.lateness);
    const t = maxTimestampOf(slot.e);
    return t >= MAX_WATERMARK ? Infinity : t;
  }

  private registerCleanup(slot: Slot): void {
    const t = this.cleanupTime(slot);
    if (t !== Infinity) this.timers.register(this.domain, this.backend.currentKey, t);
  }

  private addTo(slot: Slot, slots: Slot[], value: unknown, input: number): void {
    this.contents.add(slot, value, input);
    // Fast path (spec.fastPaths): the default event-time trigger, asked about a window whose end timer it already
    // registered and whose end the watermark has not reached, would re-register that timer and continue.
    if (this.fastTrigger && slot.et !== undefined && maxTimestampOf(slot.e) > this.ctx.watermark) return;
    this.cur = slot;
    this.curSlots = slots;
    const r = this.trigger.onElement(value, this.elementTs, slot.w, this);
    if (r !== TriggerResult.CONTINUE) this.act(r, slot);
  }

  /**
   * addTo for a window just opened, with the default event-time trigger (fast path): what its onElement does (fire a
   * window the watermark has passed; else register the end timer), with the end timer's registration left out where
   * it is the cleanup timer newSlot registered (no lateness).
   */
  private addToNew(slot: Slot, slots: Slot[], value: unknown, input: number): void {
    this.contents.add(slot, value, input);
    const max = maxTimestampOf(slot.e);
    if (max <= this.ctx.watermark) {
      this.cur = slot;
      this.curSlots = slots;
      this.act(TriggerResult.FIRE, slot);
      return;
    }
    // Shared by the windows ending together, as their window object: with the default trigger a window's list is
    // only ever replaced or dropped, never changed in place (it holds its one end timer).
    if (max !== this.lastMax) { this.lastMax = max; this.lastEt = [max]; }
    slot.et = this.lastEt;
    if (!this.isEventTime || this.cleanupTime(slot) !== max) this.timers.register('event', this.backend.currentKey, max);
  }

  private act(r: TriggerResult, slot: Slot): void {
    if ((r & TriggerResult.FIRE) !== 0 && slot.n > 0) {
      this.cur = slot;
      this.contents.emit(slot, this);
    }
    if ((r & TriggerResult.PURGE) !== 0) {
      // Only the contents go, as in Flink: the window itself stays until its cleanup time, so later records still
      // merge into it (sessions), and the window function's and trigger's `clear` run once, when it expires.
      slot.a = undefined;
      slot.n = 0;
      // A window that never expires (global), left with nothing (no contents, trigger state, timers or window
      // state): Flink keeps nothing for it either. Otherwise every key ever seen would hold a slot for good.
      if (!this.merging && this.cleanupTime(slot) === Infinity && slot.t === undefined && slot.et === undefined && slot.pt === undefined && this.windowTables.length === 0) {
        const k = this.indexOfSlot(this.curSlots, slot);
        if (k >= 0) { this.curSlots.splice(k, 1); this.windowCount--; }
      }
    }
  }

  /** Where `slot` is in `slots` (-1: gone): by binary search on the fast path, where they are sorted by end. */
  private indexOfSlot(slots: readonly Slot[], slot: Slot): number {
    if (!this.byEnd) return slots.indexOf(slot);
    for (let i = firstEndingAt(slots, slot.e); i < slots.length && slots[i]!.e === slot.e; i++) if (slots[i] === slot) return i;
    return -1;
  }

  /** Removes a window: its trigger's state and timers, its cleanup timer (unless that is what fired: `firedAt`). */
  private dropSlot(slot: Slot, slots: Slot[], firedAt: number): void {
    this.cur = slot;
    this.curSlots = slots;
    const one = this.one;
    one[0] = slot;
    this.releasing = one;
    try {
      this.trigger.clear(slot.w, this);
      if (this.windowFn?.clear !== undefined) this.windowFn.clear(this);
      if (this.windowTables.length > 0) {
        const id = windowId(slot.s, slot.e);
        for (const t of this.windowTables) removeWindow(t, this.backend.currentKey, id);
      }
      this.releaseTimers(slot, firedAt);
    } finally {
      this.releasing = NO_SLOTS;
      // Fast path: pops, where setting length is a runtime call, and splice makes an array of what it removed.
      if (this.sparse) one.pop(); else one.length = 0;
    }
    const k = this.indexOfSlot(slots, slot);
    if (k >= 0) {
      if (this.sparse && k === slots.length - 1) slots.pop();
      else if (this.sparse && k === 0) slots.shift();
      else slots.splice(k, 1);
      this.windowCount--;
    }
  }

  /** Deletes the slot's trigger timers and its cleanup timer, unless another window of the key still needs them. */
  private releaseTimers(slot: Slot, firedAt = NaN): void {
    if (slot.et !== undefined) for (const t of slot.et) this.deleteUnused('event', t, slot);
    if (slot.pt !== undefined) for (const t of slot.pt) this.deleteUnused('processing', t, slot);
    slot.et = undefined;
    slot.pt = undefined;
    const c = this.cleanupTime(slot);
    if (c !== Infinity && c !== firedAt) this.deleteUnused(this.domain, c, slot);
  }

  private deleteUnused(domain: TimeDomain, t: number, self: Slot): void {
    if (!this.referenced(domain, t, self)) this.timers.delete(domain, this.backend.currentKey, t);
  }

  /** Whether a timer (key, t) is still wanted by a window of the current key other than those being released. */
  private referenced(domain: TimeDomain, t: number, self: Slot): boolean {
    const released = this.releasing;
    const cleanupDomain = domain === this.domain;
    if (cleanupDomain && !released.includes(self) && this.cleanupTime(self) === t) return true;
    for (const o of this.curSlots) {
      if (o === self || released.includes(o)) continue;
      const list = domain === 'event' ? o.et : o.pt;
      if (list !== undefined && list.includes(t)) return true;
      if (cleanupDomain && this.cleanupTime(o) === t) return true;
    }
    return false;
  }

  protected override onTimer(domain: TimeDomain, ts: number): void {
    const entry = this.table.entry(this.backend.currentKey);
    if (entry === undefined) return;
    const slots = entry.value;
    // Only the windows with this timer (a trigger's, or their cleanup): a key can hold thousands of windows (a
    // short slide under a slow watermark), and visiting each of them at each of their timers was quadratic. No
    // window gains this timer while they fire: a trigger registers timers for its own window only.
    const cleanups = domain === this.domain;
    if (this.sparse) {
      const todo = this.todo;
      const start = todo.length;
      if (this.byEnd) {
        // Only windows whose end - 1 (the trigger's timer; the cleanup without lateness) or end - 1 + lateness is
        // ts: the same sums the timers were registered with (ts + 1 is not always end in floating point: 0.3 - 1 + 1).
        if (cleanups && this.lateness !== 0) this.timedAt(slots, ts, this.lateness, domain, cleanups, todo);
        this.timedAt(slots, ts, 0, domain, cleanups, todo);
      } else {
        for (let i = 0; i < slots.length; i++) if (this.hasTimer(slots[i]!, domain, ts, cleanups)) todo.push(slots[i]!);
      }
      // This call's windows are todo[start..] (should a window function ever get here again, re-entrantly).
      try {
        for (let i = start; i < todo.length; i++) this.timerOf(todo[i]!, slots, domain, ts, todo.length - start > 1);
      } finally {
        while (todo.length > start) todo.pop();
      }
    } else {
      const todo: Slot[] = [];
      const has = (slot: Slot): boolean => this.hasTimer(slot, domain, ts, cleanups);
      if (this.byEnd) {
        const offsets = this.lateness === 0 || !cleanups ? [0] : [this.lateness, 0];
        for (const off of offsets) {
          for (let i = firstTimerAtLeast(slots, ts, off); i < slots.length && timerAt(slots[i]!.e, off) === ts; i++) if (has(slots[i]!)) todo.push(slots[i]!);
        }
      } else {
        for (let i = 0; i < slots.length; i++) if (has(slots[i]!)) todo.push(slots[i]!);
      }
      for (const slot of todo) this.timerOf(slot, slots, domain, ts, todo.length > 1);
    }
    if (slots.length === 0) this.dropEntry(entry);
    else this.table.touched(entry);
  }

  /** Removes a key's entry that has no window left: on the fast path the entry held, without looking its key up again. */
  private dropEntry(entry: StateEntry<Slot[]>): void {
    if (!this.sparse) this.table.remove(entry.key);
    else if (!isRemoved(entry)) this.table.delete(entry);
  }

  /** Whether the slot holds the timer ts: its trigger's, or (`cleanups`: the timer is of the cleanup domain) its cleanup. */
  private hasTimer(slot: Slot, domain: TimeDomain, ts: number, cleanups: boolean): boolean {
    const list = domain === 'event' ? slot.et : slot.pt;
    return (list !== undefined && list.includes(ts)) || (cleanups && ts === this.cleanupTime(slot));
  }

  /** Pushes to `out` the slots (sorted by end) whose end - 1 + `offset` is ts and that hold the timer. */
  private timedAt(slots: readonly Slot[], ts: number, offset: number, domain: TimeDomain, cleanups: boolean, out: Slot[]): void {
    // Timers fire earliest first: the key's first window is mostly the one, found without a search's cold reads.
    const from = slots.length > 0 && timerAt(slots[0]!.e, offset) >= ts ? 0 : firstTimerAtLeast(slots, ts, offset);
    for (let i = from; i < slots.length && timerAt(slots[i]!.e, offset) === ts; i++) {
      if (this.hasTimer(slots[i]!, domain, ts, cleanups)) out.push(slots[i]!);
    }
  }

  /** The timer ts of one of the key's windows fired: its trigger's, then its cleanup. */
  private timerOf(slot: Slot, slots: Slot[], domain: TimeDomain, ts: number, several: boolean): void {
    // An earlier one's action may have dropped or merged it.
    if (several && this.indexOfSlot(slots, slot) < 0) return;
    const list = domain === 'event' ? slot.et : slot.pt;
    const k = list === undefined ? -1 : list.indexOf(ts);
    if (k >= 0) {
      if (list!.length === 1) { if (domain === 'event') slot.et = undefined; else slot.pt = undefined; } else list!.splice(k, 1);
      this.cur = slot;
      this.curSlots = slots;
      const r = domain === 'event' ? this.trigger.onEventTime(ts, slot.w, this) : this.trigger.onProcessingTime(ts, slot.w, this);
      if (r !== TriggerResult.CONTINUE) this.act(r, slot);
    }
    if (domain === this.domain && ts === this.cleanupTime(slot) && this.indexOfSlot(slots, slot) >= 0) this.dropSlot(slot, slots, ts);
  }

  override finish(): void {
    // End of input fires every remaining window: the final watermark fires event-time windows (it normally
    // arrived already), and processing-time timers fire now instead of at their wall-clock time.
    if (this.ctx.watermark < MAX_WATERMARK) {
      this.ctx.watermark = MAX_WATERMARK;
      this.watermark(MAX_WATERMARK);
    }
    this.fireEndNow();
    // Each pending one once: a trigger that re-arms itself when it fires (a continuous trigger on a global
    // window) would otherwise fire again at once, forever.
    this.timers.fireHeld('processing', (key, ts) => this.fireTimer('processing', key, ts));
    this.finishSideOutputs();
    this.next.finish();
  }

  override restoreState(state: OperatorRestore): void {
    super.restoreState(state);
    const window = (s: number, e: number): Window => this.assigner.window(s, e);
    let n = 0;
    for (const e of this.table.entries.values()) {
      e.value = e.value.map((raw) => restoreSlot(raw, window));
      // Checkpoints taken with the fast path off (or by older versions) keep slots in the order they came.
      if (this.byEnd) e.value.sort((a, b) => a.e - b.e);
      n += e.value.length;
    }
    this.windowCount = n;
    for (const t of this.backend.windowTables()) this.addWindowTable(t);
  }

  private addWindowTable(t: StateTable<Map<string, unknown>>): void {
    if (!this.windowTables.includes(t)) this.windowTables.push(t);
  }

  // ---- WindowEmitter and Collector: results carry the window's maxTimestamp as their event time

  collect(value: unknown): void {
    this.recordsOut++;
    this.ctx.timestamp = maxTimestampOf(this.cur.e);
    this.next.push(value as O);
  }

  process(elements: readonly unknown[]): void {
    const r: unknown = this.windowFn!.process(this.keys.decode(this.backend.currentKey), this, elements, this);
    // Its results must be out before the window's state is cleared and the watermark moves on.
    if (r !== undefined) notAsync(r, this.name, 'its window function', "the window's contents and time are its only during the call");
  }

  /** A window join's function threw on a pair (coGroup: on the window's lists): the record is the pair, with its key and window. */
  joinFailed(e: unknown, left: unknown, right: unknown): void {
    this.rejected(e, { key: this.key, window: { start: this.cur.s, end: this.cur.e }, left, right });
  }

  // ---- WindowContext

  // As the selector returned it: a tuple key decoded from its canonical form (tuple-key.ts).
  get key(): UserKey { return this.keys.decode(this.backend.currentKey); }
  get window(): Window { return this.cur.w; }
  get globalState(): KeyedStateStore { return this.backend; }
  get windowState(): KeyedStateStore {
    if (this.windowStore !== undefined) return this.windowStore;
    // As in Flink: merged windows' states would have to be merged, and a state has no merge function.
    if (this.merging) throw new JobDefinitionError(`operator '${this.name}': windowState is not available with merging windows (session windows); use globalState, or keep the value in the window's aggregate`);
    const scope = { key: (): Key => this.backend.currentKey, window: (): string => windowId(this.cur.s, this.cur.e) };
    this.windowStore = new WindowStateStore(this.backend, scope, (t) => this.addWindowTable(t));
    return this.windowStore;
  }
  output<X>(tag: OutputTag<X>, value: X): void {
    // The window's maxTimestamp, as collect() (and Flink's WindowContext.output): not whatever time is
    // current, a late record's or a timer's.
    this.ctx.timestamp = maxTimestampOf(this.cur.e);
    this.emitSide(tag as OutputTag<unknown>, value);
  }

  // ---- TriggerContext (current key and window)

  currentWatermark(): number { return this.ctx.watermark; }
  currentProcessingTime(): number {
    // While timers fire for `now`, the clock reads at least that (a driven clock, in tests, runs ahead of the wall).
    const now = Date.now();
    return this.firingFor > now ? this.firingFor : now;
  }

  override onProcessingTime(now: number): void {
    this.firingFor = now;
    try { super.onProcessingTime(now); } finally { this.firingFor = -Infinity; }
  }

  registerEventTimeTimer(time: number): void {
    const s = this.cur;
    if (s.et === undefined) s.et = [checkTime(time)];
    else if (s.et.includes(time)) return;
    else s.et.push(checkTime(time));
    this.timers.register('event', this.backend.currentKey, time);
  }

  registerProcessingTimeTimer(time: number): void {
    const s = this.cur;
    if (s.pt === undefined) s.pt = [checkTime(time)];
    else if (s.pt.includes(time)) return;
    else s.pt.push(checkTime(time));
    this.timers.register('processing', this.backend.currentKey, time);
  }

  deleteEventTimeTimer(time: number): void {
    const s = this.cur;
    const k = s.et === undefined ? -1 : s.et.indexOf(time);
    if (k < 0) return;
    if (s.et!.length === 1) s.et = undefined; else s.et!.splice(k, 1);
    this.deleteUnused('event', time, s);
  }

  deleteProcessingTimeTimer(time: number): void {
    const s = this.cur;
    const k = s.pt === undefined ? -1 : s.pt.indexOf(time);
    if (k < 0) return;
    if (s.pt!.length === 1) s.pt = undefined; else s.pt!.splice(k, 1);
    this.deleteUnused('processing', time, s);
  }

  getState<S>(): S | undefined { return this.cur.t as S | undefined; }
  setState<S>(state: S | undefined): void { this.cur.t = state; }
}

/** Empties a reused array by popping (setting its length is a runtime call: ~2% of a sparse join's profile). */
function emptied(a: unknown[]): void {
  while (a.length > 0) a.pop();
}

/** Inserts `slot` after every slot that ends no later (records come mostly in order: it goes last). */
function insertByEnd(slots: Slot[], slot: Slot): void {
  let k = slots.length;
  while (k > 0 && slots[k - 1]!.e > slot.e) k--;
  if (k === slots.length) slots.push(slot);
  else slots.splice(k, 0, slot);
}

/** The index of the first slot that ends at `end` or later, in slots sorted by end. */
function firstEndingAt(slots: readonly Slot[], end: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (slots[mid]!.e < end) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A window's maxTimestamp + `offset` (its trigger's timer, or its cleanup), at most the final watermark. */
function timerAt(end: number, offset: number): number {
  const t = maxTimestampOf(end) + offset;
  return t > MAX_WATERMARK ? MAX_WATERMARK : t;
}

/** The index of the first slot whose end - 1 + `offset` is `ts` or more, in slots sorted by end (monotone in end). */
function firstTimerAtLeast(slots: readonly Slot[], ts: number, offset: number): number {
  let lo = 0;
  let hi = slots.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (timerAt(slots[mid]!.e, offset) < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkTime(ts: number): number {
  if (!inEventTimeRange(ts)) throw new TypeError(`a timer timestamp must be ${EVENT_TIME_RANGE}, got ${describeTime(ts)}`);
  return ts;
}
