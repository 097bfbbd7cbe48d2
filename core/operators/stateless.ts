// Runs on: the worker thread of the subtask. Operators without state: map, filter, flatMap, and the identity
// operator that merges a union's inputs.

import type { Collector, FilterFunction, FlatMapFunction, MapFunction } from '../api/functions.js';
import { Operator, type Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';
import { checkedOnce, PASSES_RESULT_ON } from './sync-call.js';
import { flatMapped } from './flat-map-result.js';

export class MapOperator<I, O> extends Operator<I, O> {
  private unchecked = true;
  constructor(name: string, ctx: TaskContext, next: Downstream<O>, private readonly fn: MapFunction<I, O>) {
    super(name, ctx, next);
  }
  push(value: I): void {
    this.recordsIn++;
    let out: O;
    // Only the user call is inside the try: an error from a later operator is already wrapped with its name.
    // A promise is a mistake in the job (JobDefinitionError), not a bad record: it fails under every policy. Looked
    // for in the first result only (an async function returns one every time): nothing per record after it.
    try {
      out = this.fn(value);
      if (this.unchecked) this.unchecked = checkedOnce(out, this.name, 'its map function', PASSES_RESULT_ON);
    } catch (e) { this.rejected(e, value); return; }
    this.recordsOut++;
    this.next.push(out);
  }
}

export class FilterOperator<T> extends Operator<T, T> {
  private unchecked = true;
  constructor(name: string, ctx: TaskContext, next: Downstream<T>, private readonly fn: FilterFunction<T>) {
    super(name, ctx, next);
  }
  push(value: T): void {
    this.recordsIn++;
    let keep: boolean;
    try {
      keep = this.fn(value);
      // A promise is truthy: every record would pass. The first result only, as in MapOperator.
      if (this.unchecked) this.unchecked = checkedOnce(keep, this.name, 'its filter function', 'a record passes if what it returns is truthy');
    } catch (e) { this.rejected(e, value); return; }
    if (keep) {
      this.recordsOut++;
      this.next.push(value);
    }
  }
}

export class FlatMapOperator<I, O> extends Operator<I, O> implements Collector<O> {
  constructor(name: string, ctx: TaskContext, next: Downstream<O>, private readonly fn: FlatMapFunction<I, O>) {
    super(name, ctx, next);
  }
  collect(value: O): void {
    this.recordsOut++;
    this.next.push(value);
  }
  push(value: I): void {
    this.recordsIn++;
    let out: Iterable<O> | void;
    // Outputs collected before a throw have gone on: a flatMap is not 1:1, its counts need not add up per record.
    try { out = this.fn(value, this); } catch (e) { this.rejected(e, value); return; }
    if (Array.isArray(out)) {
      for (let i = 0; i < out.length; i++) { this.recordsOut++; this.next.push(out[i] as O); }
    } else if (out !== undefined) {
      let records: Iterator<O> | undefined;
      try { records = flatMapped<O>(out, this.name, 'its flatMap function')?.[Symbol.iterator](); } catch (e) { this.rejected(e, value); return; }
      if (records === undefined) return;
      // A generator's body runs as it is iterated: its throw is the record's error too, but not what downstream throws.
      // Then, as for...of does, the iterator is closed (a generator's finally blocks run).
      let ended = false;
      try {
        for (;;) {
          let r: IteratorResult<O>;
          try { r = records.next(); } catch (e) { ended = true; this.rejected(e, value); return; }
          if (r.done === true) { ended = true; return; }
          this.recordsOut++;
          this.next.push(r.value);
        }
      } finally {
        if (!ended) records.return?.();
      }
    }
  }
}

export class IdentityOperator<T> extends Operator<T, T> {
  push(value: T): void {
    this.recordsIn++;
    this.recordsOut++;
    this.next.push(value);
  }
}
