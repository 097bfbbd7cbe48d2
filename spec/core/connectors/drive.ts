// Test helper: drives a non-blocking reader the way the task loop does (read; after WAIT, await ready()).

import { SOURCE_END, SOURCE_WAIT, type SourceStatus } from '../../../core/connectors/source.js';
import type { BadRecord } from '../../../core/connectors/source.js';

export interface Readable<T> {
  read(emit: (v: T) => void, max: number, invalid: (bad: BadRecord) => void): SourceStatus;
  ready(): Promise<void>;
}

export interface Drained<T> { values: T[]; bad: BadRecord[]; ended: boolean }

/** How long `drive` waits for END or `until` before it fails (a reader that never gets there fails, not hangs). */
const DEADLINE_MS = 30_000;

/**
 * Reads until END, or until `until` holds after a read. `max` records per read. Counts how often it waited, so a
 * test can see that reads returned WAIT instead of blocking. Rejects after `deadlineMs` (default 30 s).
 */
export async function drive<T>(
  reader: Readable<T>, options: { max?: number; until?: (d: Drained<T>) => boolean; into?: Drained<T>; deadlineMs?: number } = {},
): Promise<Drained<T> & { waits: number }> {
  const d = options.into ?? { values: [], bad: [], ended: false };
  const max = options.max ?? 1000;
  const deadline = performance.now() + (options.deadlineMs ?? DEADLINE_MS);
  let waits = 0;
  const emit = (v: T): void => { d.values.push(v); };
  const invalid = (b: BadRecord): void => { d.bad.push(b); };
  for (;;) {
    if (options.until?.(d)) return { ...d, waits };
    const status = reader.read(emit, max, invalid);
    if (status === SOURCE_END) { d.ended = true; return { ...d, waits }; }
    if (status === SOURCE_WAIT && !options.until?.(d)) {
      waits++;
      await beforeDeadline(reader.ready(), deadline, () => `drive: neither the end nor the awaited condition after ${options.deadlineMs ?? DEADLINE_MS} ms (${d.values.length} values, ${d.bad.length} bad)`);
    }
  }
}

async function beforeDeadline(p: Promise<void>, deadline: number, why: () => string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(why())), Math.max(0, deadline - performance.now())); });
  try {
    await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}
