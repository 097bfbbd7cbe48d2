// Runs on: main thread (spec) and the worker thread of each source subtask (reader).
// A bounded source over an array that every thread builds identically (it is part of the job module). It reads
// in order on one subtask unless given a parallelism (as Flink's fromCollection, which is never parallel): order
// is what a collection is for. Its splits are residue classes of indices, like the generator's; a reader of several
// (restored at a lower parallelism) merges them in index order.

import { JobDefinitionError } from '../api/errors.js';
import { checkStrideSplit, strideSplits } from './generator.js';
import { SOURCE_END, SOURCE_MORE, type SourceSpec, type SourceSplit } from './source.js';

export function collectionSource<T>(items: readonly T[]): SourceSpec<T> {
  if (!Array.isArray(items)) throw new JobDefinitionError('fromCollection: expected an array');
  return {
    kind: 'collection',
    // Length and a digest of the contents: a collection built from random input would differ across threads.
    fingerprint: `collection(${items.length},${digest(items)})`,
    maxParallelism: Number.MAX_SAFE_INTEGER,
    defaultParallelism: 1,
    bounded: true,
    count: items.length,
    rewindable: true,
    enumerateSplits: (parallelism) => strideSplits(parallelism),
    createReader(_subtask, _parallelism, splits) {
      const ps = splits.map((s) => ({ id: s.id, ...checkStrideSplit(s, 'collection') }));
      const nexts = ps.map((p) => p.next);
      const strides = ps.map((p) => p.stride);
      // Where the last read began and how many it emitted: `unread` replays the read's merge from there.
      const readFrom = nexts.slice();
      let lastRead = 0;
      const at = (next: readonly number[]): SourceSplit[] => ps.map((p, k) => ({ id: p.id, position: { start: p.start, stride: p.stride, next: next[k]! } }));
      return {
        read(emit, max) {
          lastRead = 0;
          for (let j = 0; j < nexts.length; j++) readFrom[j] = nexts[j]!;
          // Several splits (restored at a lower parallelism): merged in index order, the collection's own order,
          // as the generator does. One split after the other would run event time ahead and make records late.
          let k = 0;
          for (; k < max; k++) {
            const s = lowest(nexts);
            if (s < 0 || nexts[s]! >= items.length) break;
            emit(items[nexts[s]!]!);
            nexts[s] = nexts[s]! + strides[s]!;
          }
          if (k === 0) return SOURCE_END;
          lastRead = k;
          return SOURCE_MORE;
        },
        ready: () => Promise.resolve(),
        snapshot: (_checkpointId: number): SourceSplit[] => at(nexts),
        unread: (count: number): SourceSplit[] | undefined => {
          if (!(Number.isInteger(count) && count >= 0 && count <= lastRead)) return undefined;
          const back = readFrom.slice();
          for (let k = lastRead - count; k > 0; k--) {
            const s = lowest(back);
            back[s] = back[s]! + strides[s]!;
          }
          return at(back);
        },
      };
    },
  };
}

/** The split whose next index is lowest (-1: none). */
function lowest(nexts: readonly number[]): number {
  let s = nexts.length > 0 ? 0 : -1;
  for (let j = 1; j < nexts.length; j++) if (nexts[j]! < nexts[s]!) s = j;
  return s;
}

function digest(items: readonly unknown[]): string {
  let h = 0x811c9dc5;
  const sample = items.length <= 10_000 ? items : items.filter((_, i) => i % Math.ceil(items.length / 10_000) === 0);
  const bigints = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);
  let text: string;
  try {
    text = JSON.stringify(sample, bigints) ?? '';
  } catch {
    // A cyclic item (which a chained job can process) threw "Converting circular structure to JSON" out of
    // fromCollection, naming no operator. Here only, an object met again is a mark: other digests stay as they were.
    const seen = new WeakSet<object>();
    text = JSON.stringify(sample, (k, v: unknown) => {
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '[seen]';
        seen.add(v);
      }
      return bigints(k, v);
    }) ?? '';
  }
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
