// Runs on: the worker thread of a keyed operator instance. The current key where no key is set (a process
// function's open(), before any record): keyed state read or written there belongs to no key, so it is refused,
// as Flink refuses it ("no key set"), instead of landing on a key every subtask shares.

import { JobDefinitionError } from '../api/errors.js';
import type { Key } from '../graph/key-groups.js';

/**
 * No key is set. Typed as a Key so the per-record paths keep their types; a symbol, so it equals no key a
 * selector can return, and hashKey refuses it should it ever reach a table unchecked.
 */
export const NO_KEY = Symbol('no key set') as unknown as Key;

/** Keyed state `name` of operator `operator` was used while no key is set. */
export function noKeyError(operator: string, name: string): JobDefinitionError {
  return new JobDefinitionError(`operator '${operator}': state '${name}' read or written in open(), where no key is set (open runs once per subtask, before any record): declare state handles in open(), read and write them in processElement or onTimer, as in Flink`);
}
