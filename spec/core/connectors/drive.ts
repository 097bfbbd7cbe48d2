// Test helper: drives a non-blocking reader the way the task loop does (read; after WAIT, await ready()).

import { SOURCE_END, SOURCE_WAIT, type SourceStatus } from '../../../core/connectors/source.js';
import type { BadRecord } from '../../../core/connectors/source.js';

export interface Readable<T> {
  read(emit: (v: T) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus;
  ready(): Promise<void>;
}

export interface Drained<T> { values: T[]; bad: BadRecord[]; ended: boolean }

/**
 * Reads until END, or until `until` holds after a read. `max` records per read. Counts how often it waited, so a
 * test can see that reads returned WAIT instead of blocking.
 */
export async function drive<T>(reader: Readable<T>, options: { max?: number; until?: (d: Drained<T>) => boolean; into?: Drained<T> } = {}): Promise<Drained<T> & { waits: number }> {
  const d = options.into ?? { values: [], bad: [], ended: false };
  const max = options.max ?? 1000;
  let waits = 0;
  const emit = (v: T): void => { d.values.push(v); };
  const invalid = (b: BadRecord): void => { d.bad.push(b); };
  for (;;) {
    if (options.until?.(d)) return { ...d, waits };
    const status = reader.read(emit, max, invalid);
    if (status === SOURCE_END) { d.ended = true; return { ...d, waits }; }
    if (status === SOURCE_WAIT && !options.until?.(d)) { waits++; await reader.ready(); }
  }
}
