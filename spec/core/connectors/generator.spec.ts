import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generatorSource, strideSplits } from '../../../core/connectors/generator.js';
import { SOURCE_END } from '../../../core/connectors/source.js';

function readAll(splits: ReturnType<typeof strideSplits>, count: number, max: number): number[] {
  const reader = generatorSource({ count }, (i) => i).createReader(0, 1, splits);
  const out: number[] = [];
  while (reader.read((v) => out.push(v), max, () => {}) !== SOURCE_END);
  return out;
}

test('a subtask holding several splits (restored at lower parallelism) emits them merged in index order', () => {
  // Regression: reading one split a budget at a time ran its event time ahead of the other split's and made the
  // other's records late (window results lost after a rescale 2 -> 1).
  const resumed = strideSplits(3).map((s, k) => ({ ...s, position: { ...(s.position as object), next: (s.position as { start: number }).start + 3 * k } }));
  const out = readAll(resumed, 100, 7);
  // Split k (k = 0, 1, 2: i = k, k + 3, ...) resumes at 4k.
  const expected = Array.from({ length: 100 }, (_, i) => i).filter((i) => i >= 4 * (i % 3));
  assert.deepEqual(out, [...out].sort((a, b) => a - b), 'index order');
  assert.deepEqual(out, expected, 'each split from its own position, every record once');
});

test('one split reads its stride', () => {
  assert.deepEqual(readAll([strideSplits(2)[1]!], 10, 3), [1, 3, 5, 7, 9]);
});
