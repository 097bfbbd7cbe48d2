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
export function fieldReducer<T>(kind: FieldAggregation, field: string): ReduceFunction<T> {
  if (typeof field !== 'string' || field === '') throw new JobDefinitionError(`${kind}: expected the name of a number field, got ${JSON.stringify(field)}`);
  const num = (r: T): number => {
    const v = (r as Record<string, unknown>)[field];
    if (typeof v !== 'number') throw new TypeError(`${kind}('${field}'): the record's '${field}' is ${v === undefined ? 'missing' : `a ${typeof v}`}, not a number`);
    return v;
  };
  const withField = (r: T, v: number): T => ({ ...r, [field]: v });
  switch (kind) {
    case 'sum': return (a, b) => withField(a, num(a) + num(b));
    case 'min': return (a, b) => { const x = num(a); const y = num(b); return y < x ? withField(a, y) : a; };
    case 'max': return (a, b) => { const x = num(a); const y = num(b); return y > x ? withField(a, y) : a; };
    case 'minBy': return (a, b) => (num(b) < num(a) ? b : a);
    case 'maxBy': return (a, b) => (num(b) > num(a) ? b : a);
  }
}
