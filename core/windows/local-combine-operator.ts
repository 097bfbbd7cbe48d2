// Runs on: the worker thread of the subtask that feeds a keyed exchange (chained behind the upstream operator).
// The local half of a two-phase window aggregate (`keyBy(...).window(tumbling).combineLocally().aggregate(...)`):
// each upstream subtask folds its records into one accumulator per (key, window) and sends partials through the
// exchange when the watermark closes the window, instead of every record. The window operator downstream merges
// the partials (AggregateFunction.merge), so the exchange and the keyed window state see one record per key,
// window and upstream subtask. Flink's SQL planner does the same for aggregates ("local-global aggregation").
//
// Why it is exact: a partial carries its window's maxTimestamp as its timestamp, so downstream it lands in the
// same (tumbling) window, and it is sent before the watermark that closes the window (records and watermarks
// travel in order on a channel). A record whose window this subtask already closed goes out at once, alone, and
// the window operator treats it as it would the record (late or not, by the same window end). At a checkpoint
// the accumulators still held are operator state (split on rescale: partials of one key may be merged anywhere).

import type { Key } from '../graph/key-groups.js';
import { canonicalKey, type UserKey } from '../graph/tuple-key.js';
import type { OperatorRestore, OperatorSnapshot } from '../checkpoint/snapshot.js';
import type { WindowAssigner } from './window-assigner.js';
import { maxTimestampOf, type Window } from './window.js';
import { Operator, type Downstream } from '../operators/operator.js';
import type { TaskContext } from '../operators/task-context.js';

/** What crosses the exchange: the key, and the accumulator of some of its records in one window. */
export interface PartialAggregate<ACC> {
  readonly k: Key;
  readonly a: ACC;
}

export interface CombineSpec {
  readonly assigner: WindowAssigner<Window>;
  /** The keyBy's selector: its key is held and sent in canonical form (tuple-key.ts). */
  readonly key: (value: unknown) => UserKey;
  readonly createAccumulator: () => unknown;
  readonly add: (value: unknown, acc: unknown) => unknown;
  readonly merge: (a: unknown, b: unknown) => unknown;
  /** Accumulators held at once, over all windows, before they are all sent early (bounds memory). */
  readonly maxHeld: number;
}

export class LocalCombineOperator extends Operator<unknown, PartialAggregate<unknown>> {
  /** Open windows by start: accumulators by key. Windows close in start order (tumbling: end = start + size). */
  private readonly windows = new Map<number, { end: number; accs: Map<Key, unknown> }>();
  private held = 0;
  /** The window the last record went to (undefined once windows are sent: they leave the map). */
  private lastStart = Number.NaN;
  private lastWindow: { end: number; accs: Map<Key, unknown> } | undefined;
  private readonly bounds: number[] = [0, 0];

  constructor(name: string, ctx: TaskContext, next: Downstream<PartialAggregate<unknown>>, private readonly spec: CombineSpec) {
    super(name, ctx, next);
  }

  push(value: unknown): void {
    this.recordsIn++;
    const ctx = this.ctx;
    const ts = ctx.timestamp;
    if (ts !== ts) this.fail(new TypeError('an event-time window got a record without a timestamp: call assignTimestampsAndWatermarks(...) upstream'));
    let k: Key;
    let start: number;
    let end: number;
    try {
      k = canonicalKey(this.spec.key(value));
      this.spec.assigner.assign(value, ts, this.bounds);
      start = this.bounds[0]!;
      end = this.bounds[1]!;
    } catch (e) { this.rejected(e, value); return; }
    if (maxTimestampOf(end) <= ctx.watermark) {
      // This subtask already sent the window: the record goes alone (the window operator decides if it is late).
      let acc: unknown;
      try { acc = this.spec.add(value, this.spec.createAccumulator()); } catch (e) { this.rejected(e, value); return; }
      ctx.timestamp = maxTimestampOf(end);
      this.recordsOut++;
      this.next.push({ k, a: acc });
      return;
    }
    // Records mostly fall in the window of the one before (in order, or nearly): skip the lookup by start.
    let w = this.lastWindow;
    if (w === undefined || this.lastStart !== start) {
      w = this.windows.get(start);
      if (w === undefined) { w = { end, accs: new Map() }; this.windows.set(start, w); }
      this.lastStart = start;
      this.lastWindow = w;
    }
    const before = w.accs.get(k);
    let acc: unknown;
    try { acc = this.spec.add(value, before === undefined ? this.spec.createAccumulator() : before); } catch (e) { this.rejected(e, value); return; }
    if (before === undefined) this.held++;
    if (acc !== before) w.accs.set(k, acc);
    if (this.held >= this.spec.maxHeld) this.flush(Infinity);
  }

  override watermark(watermark: number): void {
    this.flush(watermark);
    this.next.watermark(watermark);
  }

  override idle(idle: boolean): void {
    if (idle) this.flush(Infinity);
    this.next.idle(idle);
  }

  override finish(): void {
    this.flush(Infinity);
    this.next.finish();
  }

  /** Sends every window whose maxTimestamp is at or before `upTo`, oldest first. */
  private flush(upTo: number): void {
    if (this.held === 0) return;
    this.lastWindow = undefined;
    const due = [...this.windows.entries()].filter(([, w]) => maxTimestampOf(w.end) <= upTo).sort((a, b) => a[0] - b[0]);
    const ctx = this.ctx;
    for (const [start, w] of due) {
      this.windows.delete(start);
      this.held -= w.accs.size;
      for (const [k, a] of w.accs) {
        ctx.timestamp = maxTimestampOf(w.end);
        this.recordsOut++;
        this.next.push({ k, a });
      }
    }
  }

  override snapshotState(): OperatorSnapshot | undefined {
    if (this.held === 0) return undefined;
    const items: unknown[] = [];
    for (const [start, w] of this.windows) for (const [k, a] of w.accs) items.push([start, w.end, k, a]);
    return { operator: items, redistribute: 'split' };
  }

  override restoreState(state: OperatorRestore): void {
    this.lastWindow = undefined;
    for (const item of state.operator) {
      const [start, end, k, a] = item as [number, number, Key, unknown];
      let w = this.windows.get(start);
      if (w === undefined) { w = { end, accs: new Map() }; this.windows.set(start, w); }
      // Two old subtasks' partials of one key and window meet here after a rescale.
      const before = w.accs.get(k);
      if (before !== undefined) { w.accs.set(k, this.spec.merge(before, a)); continue; }
      w.accs.set(k, a);
      this.held++;
    }
  }
}
