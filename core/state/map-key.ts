// Runs on: the worker thread of a keyed operator instance. What a map state's map key may be: a key (string,
// number, bigint or boolean), as the type says. A JS Map compares an object by identity, so an equal-looking
// object is another entry, and a restore brings back new objects, found by no reference the job still holds; a
// symbol fails the checkpoint itself (msgpack cannot encode it); a string with a lone surrogate comes back as another.

import { describeNonKey, KeyTypeError } from '../graph/tuple-key.js';
import { isWellFormed } from '../graph/well-formed.js';

/**
 * A map key that is not a key: bad input (the record that brought it), not a bad job, so a KeyTypeError that the
 * operator's error policy handles, as a key selector's.
 */
export function mapKeyError(operator: string, state: string, key: unknown): KeyTypeError {
  if (typeof key === 'string') return new KeyTypeError(`operator '${operator}': ${state}: a string map key must be well-formed Unicode, got one with a lone surrogate (a half of a UTF-16 pair): a checkpoint keeps it as U+FFFD, so its entry would come back under another key`);
  return new KeyTypeError(`operator '${operator}': ${state}: a map key must be a string, number, bigint or boolean, got ${describeNonKey(key)} (map keys are compared by value and checkpointed: pick a field, or build a string)`);
}

/** Whether `k` may be a map key (inline in put: a typeof per call). */
export function isMapKey(k: unknown): boolean {
  // Each `typeof k === '...'` on its own: V8 compiles that form to a type check, not a string compare. A string
  // with a lone surrogate is no key either (isWellFormed() answers a one-byte string at once).
  return typeof k === 'string' ? isWellFormed(k) : typeof k === 'number' || typeof k === 'bigint' || typeof k === 'boolean';
}
