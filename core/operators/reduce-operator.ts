// Runs on: the worker thread of the subtask. A rolling reduce per key (keyBy(k).reduce(fn), field aggregations):
// each record is folded into its key's accumulator, kept as keyed state (typed columns with a stateSchema), and the
// new accumulator is emitted.

import { canonicalKey, type UserKey } from '../graph/tuple-key.js';
import type { ReduceFunction } from '../api/functions.js';
import type { StateTable } from '../state/state-table.js';
import type { TypedStateTable } from '../state/typed-state-table.js';
import type { FieldDef } from '../../shm/codec/schema.js';
import { firstCheckOf } from '../api/field-aggregations.js';
import { checkedOnce, KEPT_AS_STATE } from './sync-call.js';
import { KeyedOperator } from './keyed-operator.js';
import type { Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';

export class ReduceOperator<T> extends KeyedOperator<T, T> {
  private readonly table: StateTable<T> | undefined;
  /** With a state schema: the accumulators in typed columns. */
  private readonly typed: TypedStateTable<T> | undefined;
  private unchecked = true;

  constructor(
    name: string, ctx: TaskContext, next: Downstream<T>, private readonly key: (v: T) => UserKey, private readonly fn: ReduceFunction<T>, tracking: boolean,
    stateFields?: readonly FieldDef[],
  ) {
    super(name, ctx, next, tracking);
    if (stateFields !== undefined) this.typed = this.backend.typedTable<T>('reduce', stateFields, `reduce '${name}'`);
    else this.table = this.backend.table<T>('reduce', 'internal', undefined);
    this.checkFirst = firstCheckOf(fn);
  }

  /** A field aggregation's check of a key's first record (field-aggregations.ts CHECK_FIRST). */
  private readonly checkFirst: ((first: T) => void) | undefined;

  push(value: T): void {
    this.recordsIn++;
    let acc: T;
    try {
      const k = canonicalKey(this.key(value));
      const typed = this.typed;
      if (typed !== undefined) {
        const before = typed.get(k);
        if (before === undefined) {
          this.checkFirst?.(value);
          typed.put(k, value);
          // As the state holds it (declared fields only, f32 rounded), as every later result is: the raw record
          // keeps fields the schema drops, so a key's first result would differ from the rest.
          acc = typed.get(k)!;
        } else {
          acc = this.fn(before, value);
          if (this.unchecked) this.unchecked = checkedOnce(acc, this.name, 'its reduce function', KEPT_AS_STATE);
          typed.put(k, acc);
        }
      } else {
        // By `entry`: the put below then finds the entry without a second lookup (StateTable.lastEntry).
        const e = this.table!.entry(k);
        if (e === undefined) this.checkFirst?.(value);
        if (e === undefined) acc = value;
        else {
          acc = this.fn(e.value, value);
          if (this.unchecked) this.unchecked = checkedOnce(acc, this.name, 'its reduce function', KEPT_AS_STATE);
        }
        this.table!.put(k, acc);
      }
    } catch (e) { this.rejected(e, value); return; }
    this.recordsOut++;
    this.next.push(acc);
  }
}
