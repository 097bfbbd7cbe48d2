// Runs on: the worker thread of the subtask. A flat-map function that returned a string: a string is iterable, so
// it would be emitted one character at a time, which a user almost never means (`s => s.trim()` for `s => [s]`).
// Refused as the record's error, under the operator's error policy (a field that is sometimes a string, sometimes
// an array, is the record's data).

/** The error for a flat-map function (`what`: 'its flatMap function', 'flatMap1', ...) that returned `s`. */
export function stringReturned(what: string, s: string): TypeError {
  const shown = JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
  return new TypeError(`${what} returned the string ${shown}, which would be emitted one character at a time: return [s] to emit it as one record, or [...s] for its characters`);
}
