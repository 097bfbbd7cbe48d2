// Runs on: the worker thread of a window operator. How a window holds what it was given, and what it emits when
// it fires: incremental aggregation keeps ONE value per (key, window) (reduce: the reduced element; aggregate: the
// accumulator), never the elements; process windows and joins keep the elements.

import { checkedOnce, KEPT_AS_STATE, notAsync, PASSES_RESULT_ON, WITHIN_THE_CALL } from '../operators/sync-call.js';
import { firstCheckOf } from '../api/field-aggregations.js';
import type { AggregateFunction } from '../api/state.js';
import type { ReduceFunction } from '../api/functions.js';
import type { CoGroupFunction, FlatJoinFunction, JoinFunction } from '../api/window-functions.js';
import type { Slot } from './window-slot.js';
import type { Evictor } from './evictor.js';

/** Where results go: the operator, which stamps them with the window's time; or the window function. */
export interface WindowEmitter {
  /** A result value (no window function). */
  collect(value: unknown): void;
  /** The window function with these elements (a view, valid during the call). */
  process(elements: readonly unknown[]): void;
  /** A join function threw on a pair (a coGroup function: on a window's two lists): the error policy decides. */
  joinFailed(e: unknown, left: unknown, right: unknown): void;
}

export interface WindowContents {
  /** Whether merging windows is supported (session windows). */
  readonly canMerge: boolean;
  add(slot: Slot, value: unknown, input: number): void;
  /** Moves `from`'s contents into `into` (session windows merging). */
  merge(into: Slot, from: Slot): void;
  /** The window fired with contents (n > 0). */
  emit(slot: Slot, out: WindowEmitter): void;
}

export class ReduceContents implements WindowContents {
  readonly canMerge = true;
  private unchecked = true;
  private readonly one: unknown[] = [undefined];
  /** A field aggregation's check of a window's first record (field-aggregations.ts CHECK_FIRST). */
  private readonly checkFirst: ((first: unknown) => void) | undefined;
  constructor(private readonly fn: ReduceFunction<unknown>, private readonly withWindowFn: boolean) {
    this.checkFirst = firstCheckOf(fn);
  }

  add(slot: Slot, value: unknown): void {
    if (slot.n === 0) {
      this.checkFirst?.(value);
      slot.a = value;
    } else {
      slot.a = this.fn(slot.a, value);
      if (this.unchecked) this.unchecked = checkedOnce(slot.a, undefined, 'its reduce function', KEPT_AS_STATE);
    }
    slot.n++;
  }

  merge(into: Slot, from: Slot): void {
    if (from.n === 0) return;
    into.a = into.n === 0 ? from.a : this.fn(into.a, from.a);
    if (this.unchecked && into.n > 0) this.unchecked = checkedOnce(into.a, undefined, 'its reduce function', KEPT_AS_STATE);
    into.n += from.n;
  }

  emit(slot: Slot, out: WindowEmitter): void {
    if (!this.withWindowFn) { out.collect(slot.a); return; }
    this.one[0] = slot.a;
    out.process(this.one);
  }
}

export class AggregateContents implements WindowContents {
  readonly canMerge: boolean;
  private addUnchecked = true;
  private resultUnchecked = true;
  private readonly one: unknown[] = [undefined];
  constructor(private readonly agg: AggregateFunction<unknown, unknown, unknown>, private readonly withWindowFn: boolean) {
    this.canMerge = typeof agg.merge === 'function';
  }

  add(slot: Slot, value: unknown): void {
    const agg = this.agg;
    slot.a = agg.add(value, slot.n === 0 ? agg.createAccumulator() : slot.a);
    if (this.addUnchecked) this.addUnchecked = checkedOnce(slot.a, undefined, "its aggregate function's add", KEPT_AS_STATE);
    slot.n++;
  }

  merge(into: Slot, from: Slot): void {
    if (from.n === 0) return;
    into.a = into.n === 0 ? from.a : this.agg.merge!(into.a, from.a);
    into.n += from.n;
  }

  emit(slot: Slot, out: WindowEmitter): void {
    const r = this.agg.getResult(slot.a);
    if (this.resultUnchecked) this.resultUnchecked = checkedOnce(r, undefined, "its aggregate function's getResult", PASSES_RESULT_ON);
    if (!this.withWindowFn) { out.collect(r); return; }
    this.one[0] = r;
    out.process(this.one);
  }
}

/** Every element, in arrival order (merged windows: the first window's elements, then the others'). */
export class ListContents implements WindowContents {
  readonly canMerge = true;

  add(slot: Slot, value: unknown): void {
    if (slot.n === 0) slot.a = [value];
    else (slot.a as unknown[]).push(value);
    slot.n++;
  }

  merge(into: Slot, from: Slot): void {
    if (from.n === 0) return;
    if (into.n === 0) into.a = from.a;
    else { const list = into.a as unknown[]; for (const v of from.a as unknown[]) list.push(v); }
    into.n += from.n;
  }

  emit(slot: Slot, out: WindowEmitter): void {
    out.process(slot.a as unknown[]);
  }
}

/**
 * With an evictor: every element and its timestamp ({ v, t }, arrival order); when the window fires, the evictor
 * drops some (before the function, or after it), and a reduce or aggregate runs over what is left, as in Flink.
 */
export class EvictingContents implements WindowContents {
  readonly canMerge: boolean;
  private readonly one: unknown[] = [undefined];
  constructor(
    private readonly evictor: Evictor,
    /** What it computes: 'process' (the elements), or a reduce or aggregate over them. */
    private readonly compute: { reduce: ReduceFunction<unknown> } | { aggregate: AggregateFunction<unknown, unknown, unknown> } | undefined,
    private readonly withWindowFn: boolean,
    /** The timestamp of the element being added (NaN: none). */
    private readonly elementTs: () => number,
  ) {
    this.canMerge = compute === undefined || !('aggregate' in compute) || typeof compute.aggregate.merge === 'function';
  }

  add(slot: Slot, value: unknown): void {
    if (slot.n === 0) slot.a = { v: [value], t: [this.elementTs()] };
    else { const a = slot.a as { v: unknown[]; t: number[] }; a.v.push(value); a.t.push(this.elementTs()); }
    slot.n++;
  }

  merge(into: Slot, from: Slot): void {
    if (from.n === 0) return;
    if (into.n === 0) { into.a = from.a; into.n = from.n; return; }
    const a = into.a as { v: unknown[]; t: number[] };
    const b = from.a as { v: unknown[]; t: number[] };
    for (let i = 0; i < b.v.length; i++) { a.v.push(b.v[i]); a.t.push(b.t[i]!); }
    into.n += from.n;
  }

  emit(slot: Slot, out: WindowEmitter): void {
    const a = slot.a as { v: unknown[]; t: number[] };
    if (!this.evictor.after) this.evictor.evict(a.v, a.t);
    slot.n = a.v.length;
    if (a.v.length > 0) this.apply(a.v, out);
    if (this.evictor.after) {
      this.evictor.evict(a.v, a.t);
      slot.n = a.v.length;
    }
  }

  private apply(values: readonly unknown[], out: WindowEmitter): void {
    const c = this.compute;
    if (c === undefined) { out.process(values); return; }
    let r: unknown;
    if ('reduce' in c) {
      r = values[0];
      for (let i = 1; i < values.length; i++) r = c.reduce(r, values[i]);
    } else {
      let acc = c.aggregate.createAccumulator();
      for (const v of values) acc = c.aggregate.add(v, acc);
      r = c.aggregate.getResult(acc);
    }
    // Once per window fired: an async function's promise would be the result (a reduce's also every accumulator).
    notAsync(r, undefined, 'reduce' in c ? 'its reduce function' : "its aggregate function's getResult", PASSES_RESULT_ON);
    if (!this.withWindowFn) { out.collect(r); return; }
    this.one[0] = r;
    out.process(this.one);
  }
}

/** Two inputs' elements of a window, kept apart (joins and coGroups): `[left[], right[]]`. */
abstract class TwoSidedContents implements WindowContents {
  readonly canMerge = true;

  /**
   * `exact` (a join's fast path): a side's first element makes its list, holding it alone, where a push onto an
   * empty array made room for 17 (a window's first element is put in its list literal); with many keys a window mostly holds one element a side, and the spare room was
   * most of what a window's state kept alive until it fired. (Not for a coGroup: its function is handed the lists
   * themselves, which a later firing must show grown.)
   */
  constructor(private readonly exact: boolean) {}

  add(slot: Slot, value: unknown, input: number): void {
    if (slot.n === 0) {
      if (this.exact) slot.a = input === 0 ? [[value], []] : [[], [value]];
      else (slot.a = [[], []] as [unknown[], unknown[]])[input]!.push(value);
    } else {
      const a = slot.a as [unknown[], unknown[]];
      const side = a[input]!;
      if (this.exact && side.length === 0) a[input] = [value];
      else side.push(value);
    }
    slot.n++;
  }

  merge(into: Slot, from: Slot): void {
    if (from.n === 0) return;
    if (into.n === 0) { into.a = from.a; into.n = from.n; return; }
    const [l, r] = into.a as [unknown[], unknown[]];
    const [fl, fr] = from.a as [unknown[], unknown[]];
    for (const v of fl) l.push(v);
    for (const v of fr) r.push(v);
    into.n += from.n;
  }

  abstract emit(slot: Slot, out: WindowEmitter): void;
}

/** A window join's window: emits every pair. */
export class JoinContents extends TwoSidedContents {
  private unchecked = true;

  constructor(private readonly fn: JoinFunction<unknown, unknown, unknown> | FlatJoinFunction<unknown, unknown, unknown>, exact: boolean) { super(exact); }

  emit(slot: Slot, out: WindowEmitter): void {
    const a = slot.a as [unknown[], unknown[]];
    const left = a[0];
    const right = a[1];
    const fn = this.fn;
    if (typeof fn === 'function') {
      for (let i = 0; i < left.length; i++) {
        for (let j = 0; j < right.length; j++) {
          let r: unknown;
          // Per pair, as a map per record: the window's other pairs still go out.
          try { r = fn(left[i], right[j]); } catch (e) { out.joinFailed(e, left[i], right[j]); continue; }
          if (this.unchecked) this.unchecked = checkedOnce(r, undefined, 'its join function', PASSES_RESULT_ON);
          out.collect(r);
        }
      }
      return;
    }
    for (let i = 0; i < left.length; i++) {
      for (let j = 0; j < right.length; j++) {
        let r: unknown;
        try { r = fn.join(left[i], right[j], out); } catch (e) { out.joinFailed(e, left[i], right[j]); continue; }
        if (this.unchecked) this.unchecked = checkedOnce(r, undefined, 'its join function', WITHIN_THE_CALL);
      }
    }
  }
}

/** A coGroup's window: handed to the function whole when it fires, unmatched elements included. */
export class CoGroupContents extends TwoSidedContents {
  constructor(private readonly fn: CoGroupFunction<unknown, unknown, unknown>) { super(false); }

  emit(slot: Slot, out: WindowEmitter): void {
    const [left, right] = slot.a as [unknown[], unknown[]];
    let r: unknown;
    // Copies: the window's lists may take more elements (a merge) after the dead letter left.
    try { r = this.fn(left, right, out); } catch (e) { out.joinFailed(e, left.slice(), right.slice()); return; }
    // Once per window, not per record: checked every time.
    if (r !== undefined) notAsync(r, undefined, 'its coGroup function', WITHIN_THE_CALL);
  }
}
