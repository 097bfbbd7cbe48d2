// Runs on: the worker thread of a keyed operator instance. What the keyed state backend needs of one named state's
// table to snapshot and restore it by key group: StateTable (a value object per key) and TypedStateTable (values of
// a declared record schema in typed columns) both provide it.

import type { Key } from '../graph/key-groups.js';
import type { TtlConfig } from './ttl.js';
import type { TableChanges } from './key-group-codec.js';

/** One key group's part of a snapshot of one table (TableChanges without the table's name and TTL flag). */
export type GroupChanges = Omit<TableChanges, 'name' | 'ttl'>;

export interface KeyedTable {
  readonly name: string;
  readonly ttl: TtlConfig | undefined;
  /** Live entries per key group. */
  readonly counts: Int32Array;
  readonly size: number;
  keys(): Iterable<Key>;
  /** Removes expired entries (TTL); returns how many. */
  cleanup(): number;
  /** Adds, per key group, the entries changed (written or removed) since the last snapshot. */
  changeCounts(into: Int32Array): void;
  /**
   * Adds, per key group, what a delta would write and the group's size, in one unit (an entry or tombstone; a
   * list's or map's element): the delta chain's measure.
   */
  changeUnits(wrote: Float64Array, size: Float64Array): void;
  /**
   * The changes since the last snapshot by key group (every live entry where `full[kg] === 1`); a new epoch.
   * Typed columns may be views into buffers the table reuses at its next takeChanges: encode them before.
   */
  takeChanges(full: Uint8Array, anyFull: boolean): Map<number, GroupChanges>;
  /**
   * Keeps the table's part of group kg's full chunk, just encoded from what takeChanges gave, for the group's next
   * full chunk while its entries there are unchanged (takeChanges then gives it back as `section`). Optional.
   */
  keepSection?(kg: number, section: Uint8Array): void;
  restorePut(key: Key, kg: number, value: unknown, expiresAt: number): void;
  restoreDelete(key: Key): void;
  restoreDone(): void;
  /** A restored table, once the job declares the state: its TTL and clocks. */
  configure(ttl: TtlConfig | undefined, now: () => number, cleanNow?: () => number): void;
}
