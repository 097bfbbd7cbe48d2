// Runs on: main thread (spec) and the worker thread of each source subtask (reader).
// A bounded source over an array that every thread builds identically (it is part of the job module). It reads
// in order on one subtask unless given a parallelism (as Flink's fromCollection, which is never parallel): order
// is what a collection is for. Its splits are residue classes of indices, like the generator's.

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
      let cur = 0;
      // What the last read emitted: from one split (`cur` then), so `unread` moves that split alone back.
      let lastRead = 0;
      let lastSplit = 0;
      const at = (p: (typeof ps)[number], next: number): SourceSplit => ({ id: p.id, position: { start: p.start, stride: p.stride, next } });
      return {
        read(emit, max) {
          lastRead = 0;
          while (cur < ps.length && ps[cur]!.next >= items.length) cur++;
          if (cur >= ps.length) return SOURCE_END;
          const p = ps[cur]!;
          let i = p.next;
          for (let k = 0; k < max && i < items.length; k++, i += p.stride) emit(items[i]!);
          lastRead = (i - p.next) / p.stride;
          lastSplit = cur;
          p.next = i;
          return SOURCE_MORE;
        },
        ready: () => Promise.resolve(),
        snapshot: (_checkpointId: number): SourceSplit[] => ps.map((p) => at(p, p.next)),
        unread: (count: number): SourceSplit[] | undefined => (Number.isInteger(count) && count >= 0 && count <= lastRead
          ? ps.map((p, k) => at(p, k === lastSplit ? p.next - count * p.stride : p.next))
          : undefined),
      };
    },
  };
}

function digest(items: readonly unknown[]): string {
  let h = 0x811c9dc5;
  const sample = items.length <= 10_000 ? items : items.filter((_, i) => i % Math.ceil(items.length / 10_000) === 0);
  const text = JSON.stringify(sample, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)) ?? '';
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}
