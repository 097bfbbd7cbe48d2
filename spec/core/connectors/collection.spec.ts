// The collection source's reader: several splits (restored at a lower parallelism) merged in index order, and held
// records handed back to their splits (SourceReader.unread).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectionSource } from '../../../core/connectors/collection.js';
import { strideSplits } from '../../../core/connectors/generator.js';
import { SOURCE_END, type SourceReader, type SourceSplit } from '../../../core/connectors/source.js';

const items = Array.from({ length: 20 }, (_, i) => i);
const spec = collectionSource(items);
const at = (s: SourceSplit, next: number): SourceSplit => ({ ...s, position: { ...(s.position as object), next } });
const nextOf = (splits: SourceSplit[]): number[] => splits.map((s) => (s.position as { next: number }).next);
const readAll = (reader: SourceReader<number>, max: number): number[] => {
  const got: number[] = [];
  while (reader.read((v) => got.push(v), max, () => {}) !== SOURCE_END);
  return got;
};

// Regression: a reader of two splits read one to its end, then the other: restored from parallelism 2 to 1, the
// second split's records came after the first's whole run, their event time far behind the watermark (late).
test('a reader of several splits reads them merged in index order, from skewed positions too', () => {
  assert.deepEqual(readAll(spec.createReader(0, 1, strideSplits(2)), 3), items);
  const [a, b] = strideSplits(2);
  assert.deepEqual(readAll(spec.createReader(0, 1, [at(a!, 10), at(b!, 1)]), 4), [1, 3, 5, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.deepEqual(readAll(spec.createReader(0, 1, [at(a!, 20), at(b!, 21)]), 4), [], 'both at their ends');
});

test('unread: the positions before the tail of the last read, replaying its merge; read again from there, the held records come first, in order', () => {
  const [a, b] = strideSplits(2);
  const reader = spec.createReader(0, 1, [at(a!, 10), at(b!, 1)]);
  const got: number[] = [];
  reader.read((v) => got.push(v), 6, () => {});
  assert.deepEqual(got, [1, 3, 5, 7, 9, 10]);
  const back = reader.unread!(2)!;
  assert.deepEqual(nextOf(back), [10, 9], 'the held 9 and 10 go back to their own splits');
  assert.deepEqual(readAll(spec.createReader(0, 1, back), 4), [9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
  assert.deepEqual(nextOf(reader.unread!(0)!), [12, 11], 'none held: where it is');
  assert.equal(reader.unread!(7), undefined, 'more than its last read emitted: it cannot say');
  // One split: the held tail of its last read.
  const one = spec.createReader(0, 1, [b!]);
  one.read(() => {}, 5, () => {});
  assert.deepEqual(nextOf(one.unread!(3)!), [5]);
});

test('items holding cycles or shared objects have a fingerprint, the same for equal collections built apart', () => {
  const build = (): unknown[] => {
    const a: Record<string, unknown> = { id: 1 };
    a.self = a;
    const shared = { x: 1 };
    return [a, { l: shared, r: shared }, 2n];
  };
  const f = collectionSource(build()).fingerprint;
  assert.equal(collectionSource(build()).fingerprint, f);
  assert.notEqual(collectionSource([{ id: 2 }]).fingerprint, f);
});
