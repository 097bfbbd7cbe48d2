// Runs on: the worker thread of a keyed operator instance. The current key where no key is set (a process
// function's open(), before any record; a keyed broadcast function's processBroadcastElement, outside
// applyToKeyedState): keyed state read or written there belongs to no key, so it is refused, as Flink refuses it
// ("no key set"), instead of landing on a key every subtask shares, or on the last record's.

import { JobDefinitionError } from '../api/errors.js';
import type { Key } from '../graph/key-groups.js';

/**
 * No key is set. Typed as a Key so the per-record paths keep their types; a symbol, so it equals no key a
 * selector can return, and hashKey refuses it should it ever reach a table unchecked.
 */
export const NO_KEY = Symbol('no key set') as unknown as Key;

/** No key is set while a keyed broadcast function handles a broadcast record (outside applyToKeyedState). */
export const NO_KEY_BROADCAST = Symbol('no key set: a broadcast record') as unknown as Key;

/** Whether `k` is one of the no-key sentinels (no key a selector returns is a symbol: KeyTypeError). */
export function isNoKey(k: Key): boolean {
  return typeof k === 'symbol';
}

/** Keyed state `name` of operator `operator` was used while no key is set (`k`: which sentinel). */
export function noKeyError(operator: string, name: string, k: Key = NO_KEY): JobDefinitionError {
  if (k === NO_KEY_BROADCAST) {
    return new JobDefinitionError(`operator '${operator}': state '${name}' read or written in processBroadcastElement, where no key is set (a broadcast record has no key): reach keyed state there through ctx.applyToKeyedState, as in Flink`);
  }
  return new JobDefinitionError(`operator '${operator}': state '${name}' read or written in open(), where no key is set (open runs once per subtask, before any record): declare state handles in open(), read and write them in processElement or onTimer, as in Flink`);
}
