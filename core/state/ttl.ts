// Runs on: the worker thread of a keyed operator. Time-to-live of keyed state entries.
//
// An entry expires `ttlMs` after it was last written (or read, with `update: 'read-write'`). An entry is a key's
// whole state: a list or a map is renewed by any add or put and expires as one (Flink keeps a TTL per element and
// per map entry; the difference is documented in the README). Expired entries are
// never returned, and are removed in the background: a few at every write (the oldest first, so the cost is
// O(1) per write), and all of them before a snapshot, so state stops growing once keys stop being used.

import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';
import { checkKnownOptions } from '../api/known-options.js';

export interface StateTtl {
  ttlMs: number;
  /** What renews an entry's lifetime (default 'write'). */
  update?: 'write' | 'read-write';
  /**
   * The clock: 'processing' (wall-clock ms, Flink's choice, the default) or 'event': an entry last written by a
   * record at event time t expires at t + ttlMs (a write with no timestamp, or a late one, counts at the
   * watermark); a record at or after that time no longer sees it, nor does an event-time timer at or after it
   * (a timer counts at its own time), and it is cleaned up once the watermark passes it. What a record or a timer
   * sees is then the same in every run, however watermarks were timed.
   */
  time?: 'processing' | 'event';
}

export interface TtlConfig {
  readonly ttlMs: number;
  readonly readRenews: boolean;
  readonly eventTime: boolean;
}

const TTL_KEYS = Object.keys({ ttlMs: true, update: true, time: true } satisfies Record<keyof StateTtl, true>);

export function ttlConfig(ttl: StateTtl | undefined, where: string): TtlConfig | undefined {
  if (ttl === undefined) return undefined;
  if (ttl === null || typeof ttl !== 'object') throw new JobDefinitionError(`${where}: ttl must be an object { ttlMs, update?, time? }, got ${shownValue(ttl)}`);
  checkKnownOptions(ttl, TTL_KEYS, `${where}: ttl`);
  if (!(Number.isFinite(ttl.ttlMs) && ttl.ttlMs > 0)) throw new JobDefinitionError(`${where}: ttl.ttlMs must be a positive number of ms, got ${shownValue(ttl.ttlMs)}`);
  if (ttl.update !== undefined && ttl.update !== 'write' && ttl.update !== 'read-write') throw new JobDefinitionError(`${where}: ttl.update must be 'write' or 'read-write'`);
  if (ttl.time !== undefined && ttl.time !== 'processing' && ttl.time !== 'event') throw new JobDefinitionError(`${where}: ttl.time must be 'processing' or 'event'`);
  return { ttlMs: ttl.ttlMs, readRenews: ttl.update === 'read-write', eventTime: ttl.time === 'event' };
}
