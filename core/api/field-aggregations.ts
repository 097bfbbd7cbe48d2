// Runs on: the worker thread of the reduce that uses one (built on every thread with the job's graph). Flink's
// field aggregations (`sum`, `min`, `max`, `minBy`, `maxBy` of a keyed or windowed stream) as reduce functions
// over one numeric field of a record.

import { JobDefinitionError } from './errors.js';
import type { ReduceFunction } from './functions.js';

/** The names of T's number fields. */
export type NumericField<T> = { [F in keyof T]-?: T[F] extends number ? F : never }[keyof T] & string;

export type FieldAggregation = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

/**
 * sum: the first record with `field` summed. min / max: the first record with `field` the least / greatest seen
 * (its other fields stay the first record's, as in Flink). minBy / maxBy: the record whose `field` is the least /
 * greatest (the earlier one on a tie).
 */
export function fieldReducer<T>(kind: FieldAggregation, field: string): ReduceFunction<T> & FirstChecked<T> {
  if (typeof field !== 'string' || field === '') throw new JobDefinitionError(`${kind}: expected the name of a number field, got ${JSON.stringify(field)}`);
  const num = (r: T): number => {
    const v = (r as Record<string, unknown>)[field];
    if (typeof v !== 'number') throw new TypeError(`${kind}('${field}'): the record's '${field}' is ${v === undefined ? 'missing' : `a ${typeof v}`}, not a number`);
    return v;
  };
  const withField = (r: T, v: number): T => ({ ...r, [field]: v });
  const fn = ((): ReduceFunction<T> => {
    switch (kind) {
      case 'sum': return (a, b) => withField(a, num(a) + num(b));
      case 'min': return (a, b) => { const x = num(a); const y = num(b); return compare(y, x) < 0 ? withField(a, y) : a; };
      case 'max': return (a, b) => { const x = num(a); const y = num(b); return compare(y, x) > 0 ? withField(a, y) : a; };
      case 'minBy': return (a, b) => (compare(num(b), num(a)) < 0 ? b : a);
      case 'maxBy': return (a, b) => (compare(num(b), num(a)) > 0 ? b : a);
    }
  })();
  return Object.assign(fn, { [CHECK_FIRST]: (r: T): void => { num(r); } });
}

/**
 * A reduce function's check of a key's (or window's) first record, which is kept as it comes, without a call of
 * the function: else a field aggregation's first record without a number in its field is kept, and every later
 * record of the key fails in its place (four good records dropped behind one bad one).
 */
export const CHECK_FIRST = Symbol('sluice.checkFirst');

export interface FirstChecked<T> {
  readonly [CHECK_FIRST]: (first: T) => void;
}

/** The check of a reduce function's first record, if it has one. */
export function firstCheckOf<T>(fn: ReduceFunction<T>): ((first: T) => void) | undefined {
  return (fn as Partial<FirstChecked<T>>)[CHECK_FIRST];
}

/**
 * Java's Double.compare, as Flink's aggregations order numbers: -0 before 0, NaN after every number. With < and >
 * alone, a NaN first was never replaced and a NaN later was never taken: the result depended on arrival order.
 */
function compare(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) {
    if (a !== 0) return 0;
    const na = Object.is(a, -0);
    return na === Object.is(b, -0) ? 0 : na ? -1 : 1;
  }
  const an = a !== a;
  return an === (b !== b) ? 0 : an ? 1 : -1;
}
