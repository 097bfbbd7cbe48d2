// Runs on: the worker thread of the subtask. What a flat-map function returned, as the records it emits: an array
// or another iterable, or nothing (`undefined`: it collected through `out`, as Flink's void flatMap does). Anything
// else is the record's error, under the operator's error policy, as in RxJS's mergeMap, which refuses `null` too:
// - a string is iterable, but emitted one character at a time, which a user almost never means (`s => s.trim()`
//   for `s => [s]`);
// - `null`, `''`, `0`, `false` were dropped without a word (falsy) and `1` or `{}` failed the job under every
//   policy: what a function returns for one record is that record's data (a field that is sometimes an array).
// A promise or an async iterable is the job's mistake, not the record's (an async function returns one every
// time): a JobDefinitionError, which fails the job under every policy, as a map function's promise does.

import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';
import { notAsync } from './sync-call.js';

/**
 * The records `returned` stands for, `undefined` for none. `what`: the function ('its flatMap function',
 * 'flatMap1', ...); `operator`: its operator's name, or undefined when the operator names itself as it fails.
 */
export function flatMapped<O>(returned: unknown, operator: string | undefined, what: string): Iterable<O> | undefined {
  if (returned === undefined) return undefined;
  if (typeof returned === 'string') {
    const shown = JSON.stringify(returned.length > 40 ? `${returned.slice(0, 40)}...` : returned);
    // The empty string emits no character either: say what it would do, not what a longer one would.
    const would = returned.length === 0 ? 'which would emit nothing (the characters of a string are emitted one at a time)' : 'which would be emitted one character at a time';
    throw new TypeError(`${what} returned the string ${shown}, ${would}: return [s] to emit it as one record, or [...s] for its characters`);
  }
  if (typeof (returned as Partial<Iterable<O>> | null)?.[Symbol.iterator] === 'function') return returned as Iterable<O>;
  notAsync(returned, operator, what, 'it emits what it collects or returns before it returns');
  if (typeof (returned as Partial<AsyncIterable<O>> | null)?.[Symbol.asyncIterator] === 'function') {
    throw new JobDefinitionError(`${operator !== undefined ? `operator '${operator}': ` : ''}${what} returned an async iterable (an async generator?), which it cannot wait for; do asynchronous work in asyncMap before it`);
  }
  throw new TypeError(`${what} returned ${shownValue(returned)}, which is not iterable: return an array or another iterable, or nothing (undefined) when it collects records with out.collect(...)`);
}
