// Runs on: the main thread (it writes and reads the chunks of non-keyed state and in-flight records) and the worker
// threads (a broadcast process function's own state is packed there, at the barrier: own-state.ts). The msgpack
// settings of those chunks, so bytes packed on either side read back the same: each pack self-contained (record
// shapes inside it), Map, Set, Date, bigint and typed arrays kept.

import { Packr, type Options } from 'msgpackr';

/** A new object each call: msgpackr's constructor keeps its record shapes in the options object it is given. */
export function chunkPackOptions(): Options {
  return { useRecords: true, sequential: true, moreTypes: true };
}

export function chunkPackr(): Packr {
  return new Packr(chunkPackOptions());
}
