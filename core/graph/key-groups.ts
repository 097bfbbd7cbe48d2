// Runs on: any thread. Keys → key groups → subtasks, as Flink does it: a fixed number of key groups (the max
// parallelism) is the unit of state, so a job can later be rescaled by moving whole key groups.

import { JobDefinitionError } from '../api/errors.js';
import { KeyTypeError } from './tuple-key.js';
import { isWellFormed } from './well-formed.js';

export const DEFAULT_MAX_PARALLELISM = 128;

/** A key a stream can be partitioned by. Objects are not keys: pick a field, or build a string. */
export type Key = string | number | bigint | boolean;

/** 32-bit hash of a key; equal keys hash equal on every thread. */
export function hashKey(key: Key): number {
  switch (typeof key) {
    case 'string': {
      // FNV-1a over UTF-16 code units, then murmur3's finaliser to spread low-entropy strings.
      // Every keyed record's key is hashed here (by the exchange that routes it): a lone surrogate becomes U+FFFD
      // in a ring and in a checkpoint, so such a key lost its state at a restore (kept under U+FFFD, asked for
      // under itself) and two such keys became one across threads. isWellFormed() answers a one-byte string at
      // once (~1.5 ns a key; a test per code unit in the loop below cost ~6).
      if (!isWellFormed(key)) throw new KeyTypeError(`a string key must be well-formed Unicode, got one with a lone surrogate (a half of a UTF-16 pair): neither a checkpoint nor a thread boundary keeps it as it is`);
      let h = 0x811c9dc5;
      for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
      return fmix32(h);
    }
    case 'number':
      if (Number.isSafeInteger(key)) return fmix32((key | 0) ^ Math.floor(key / 0x1_0000_0000));
      return hashKey(String(key));
    case 'bigint':
      return hashKey(key.toString());
    case 'boolean':
      return key ? 0x2b1d_46e5 : 0x6a09_e667;
    default:
      throw new JobDefinitionError(`a key must be a string, number, bigint or boolean, got ${key === null ? 'null' : typeof key}`);
  }
}

/** murmur3's 32-bit finaliser: spreads every input bit over the output. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function keyGroupFor(key: Key, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

/** The subtask owning a key group: contiguous ranges of key groups per subtask (Flink's assignment). */
export function subtaskForKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups [start, end) a subtask owns. */
export function keyGroupRange(subtask: number, maxParallelism: number, parallelism: number): [number, number] {
  const start = Math.ceil((subtask * maxParallelism) / parallelism);
  const end = Math.ceil(((subtask + 1) * maxParallelism) / parallelism);
  return [start, end];
}
