// Manifest formats: this version writes format 2 (CRC-32 per chunk) and still reads format 1 (SHA-256 per chunk).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeManifest, MANIFEST_FORMAT, parseManifest, sealManifest, sha256, takesStateOf, type Manifest } from '../../../core/checkpoint/manifest.js';

function manifest(format: number, ref: Record<string, unknown>): Manifest {
  return sealManifest({
    format, id: 7, kind: 'checkpoint', createdAt: '2026-12-03T00:00:00.000Z', maxParallelism: 128, jobFingerprint: 'f',
    operators: { sum: { name: 'sum', parallelism: 1, keyGroups: { 3: { chain: [{ key: 'k/7/sum/3', bytes: 4, full: true, entries: 2, ...ref } as never], entries: 2 } } } },
    sources: {}, taskParallelism: { src: 1 }, keyedEntries: 2, finished: false,
  });
}

test('manifest: format 2 (CRC-32 refs) is written and read; format 1 (SHA-256 refs) is still read; others are refused by name', () => {
  assert.equal(MANIFEST_FORMAT, 2);
  const m2 = parseManifest(7, encodeManifest(manifest(2, { crc32: 123 })));
  assert.equal(m2.operators.sum!.keyGroups!['3']!.chain[0]!.crc32, 123);
  const m1 = parseManifest(7, encodeManifest(manifest(1, { sha256: sha256('x') })));
  assert.equal(m1.operators.sum!.keyGroups!['3']!.chain[0]!.sha256, sha256('x'));
  assert.throws(() => parseManifest(7, encodeManifest(manifest(3, { crc32: 1 }))), /manifest format 3 is not one of 1, 2/);
});

// Regression (a review of the kind check): a keyed process given a second input (connect(...).keyBy(...).process)
// or a broadcast input beside it reads its state by name as before; refusing that restore broke a common change.
test("operator kinds that take one another's state: a keyed process function with one, two or a broadcast input; otherwise the same kind only", () => {
  for (const was of ['process', 'coProcess', 'broadcastProcess']) for (const now of ['process', 'coProcess', 'broadcastProcess']) assert.ok(takesStateOf(now, was), `${was} -> ${now}`);
  assert.ok(takesStateOf('reduce', 'reduce'));
  assert.ok(!takesStateOf('map', 'reduce'));
  assert.ok(!takesStateOf('reduce', 'process'));
  assert.ok(!takesStateOf('window', 'process'));
});
