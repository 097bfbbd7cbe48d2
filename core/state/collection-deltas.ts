// Runs on: the worker thread of a keyed operator instance. What a delta chunk writes for a list or map state's
// entry that was snapshotted before and changed in place since (a patch), instead of the whole value: a list's
// elements appended since, a map's entries put and map keys removed since. So a checkpoint of a list that grows
// by appends, or of a big map with a few puts, costs what changed, not the whole value per changed key (Flink's
// RocksDB backend keeps list state appendable and map state per entry for the same reason).
//
// A patch applies to the value the key's previous chunk in the chain left; a restore refuses one that has no such
// value to apply to (KeyGroupFormatError), never guesses.

import type { Key } from '../graph/key-groups.js';

/** Patch ops, as chunks hold them (key-group-codec.ts, format 5). */
export const PATCH_LIST_APPEND = 1;
export const PATCH_MAP_CHANGES = 2;

/** What a list or map state's value weighs in a key group's size: its elements or entries (at least 1). */
export function weightOf(v: unknown): number {
  const n = Array.isArray(v) ? v.length : v instanceof Map ? v.size : 1;
  return n > 0 ? n : 1;
}

/** A map patch: map keys and values put, interleaved, and map keys removed. */
export type MapChanges = [puts: unknown[], removed: unknown[]];

/** The patch of a map whose map keys `changed` were put or removed since its last snapshot. */
export function mapChanges(m: Map<Key, unknown>, changed: Iterable<Key>): MapChanges {
  const puts: unknown[] = [];
  const removed: unknown[] = [];
  for (const k of changed) {
    if (m.has(k)) puts.push(k, m.get(k));
    else removed.push(k);
  }
  return [puts, removed];
}

/**
 * Applies a patch to the value it was taken against; returns the new value, or a reason it does not apply (the
 * value is missing or of another kind, or the patch is malformed).
 */
export function applyPatch(value: unknown, op: unknown, payload: unknown): { value: unknown } | string {
  if (op === PATCH_LIST_APPEND) {
    if (!Array.isArray(value)) return `a list append to ${value === undefined ? 'no value' : 'a value that is not a list'}`;
    if (!isElements(payload)) return 'a malformed list append';
    for (let i = 0; i < payload.length; i++) value.push(payload[i]);
    return { value };
  }
  if (op === PATCH_MAP_CHANGES) {
    if (!(value instanceof Map)) return `a map patch to ${value === undefined ? 'no value' : 'a value that is not a map'}`;
    if (!Array.isArray(payload) || payload.length !== 2 || !Array.isArray(payload[0]) || payload[0].length % 2 !== 0 || !Array.isArray(payload[1])) return 'a malformed map patch';
    const [puts, removed] = payload as MapChanges;
    for (let i = 0; i < puts.length; i += 2) value.set(puts[i], puts[i + 1]);
    for (const k of removed) value.delete(k);
    // A map emptied by removals is removed whole (a tombstone), never patched to empty.
    if (value.size === 0) return 'a map patch that empties its map';
    return { value };
  }
  return `an unknown patch op ${String(op)}`;
}

/** A list append's elements: a plain array, or a number column (what the columns format writes numbers as). */
function isElements(p: unknown): p is ArrayLike<unknown> {
  return Array.isArray(p) || p instanceof Int8Array || p instanceof Int16Array || p instanceof Int32Array || p instanceof Float64Array;
}

/** One entry's patch in a delta chunk (the entry: its key, and its expiry with a TTL). */
export interface Patch {
  readonly entry: { readonly key: Key; readonly expiresAt: number };
  readonly op: typeof PATCH_LIST_APPEND | typeof PATCH_MAP_CHANGES;
  readonly payload: unknown;
}
