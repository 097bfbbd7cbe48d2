// Manifest formats: this version writes format 2 (CRC-32 per chunk) and still reads format 1 (SHA-256 per chunk).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CorruptCheckpointError, encodeManifest, MANIFEST_FORMAT, parseManifest, sealManifest, sha256, takesStateOf, type Manifest } from '../../../core/checkpoint/manifest.js';

function manifest(format: number, ref: Record<string, unknown>): Manifest {
  return sealManifest({
    format, id: 7, kind: 'checkpoint', createdAt: '2026-12-03T00:00:00.000Z', maxParallelism: 128, jobFingerprint: 'f',
    operators: { sum: { name: 'sum', parallelism: 1, keyGroups: { 3: { chain: [{ key: 'k/7/sum/3', bytes: 4, full: true, entries: 2, ...ref } as never], entries: 2 } } } },
    sources: {}, taskParallelism: { src: 1 }, keyedEntries: 2, finished: false,
  });
}

test('manifest: format 2 (CRC-32 refs) and 3 (with channel times) are written and read; format 1 (SHA-256 refs) is still read; others are refused by name', () => {
  assert.equal(MANIFEST_FORMAT, 2);
  const m2 = parseManifest(7, encodeManifest(manifest(2, { crc32: 123 })));
  assert.equal(m2.operators.sum!.keyGroups!['3']!.chain[0]!.crc32, 123);
  const m1 = parseManifest(7, encodeManifest(manifest(1, { sha256: sha256('x') })));
  assert.equal(m1.operators.sum!.keyGroups!['3']!.chain[0]!.sha256, sha256('x'));
  assert.equal(parseManifest(7, encodeManifest(manifest(3, { crc32: 1 }))).format, 3);
  assert.throws(() => parseManifest(7, encodeManifest(manifest(4, { crc32: 1 }))), /manifest format 4 is not one of 1, 2, 3 \(written by another version of sluice\?\)/);
});

// Regression: a keyed process given a second input (connect(...).keyBy(...).process)
// or a broadcast input beside it reads its state by name as before; refusing that restore broke a common change.
test("operator kinds that take one another's state: a keyed process function with one, two or a broadcast input; otherwise the same kind only", () => {
  for (const was of ['process', 'coProcess', 'broadcastProcess']) for (const now of ['process', 'coProcess', 'broadcastProcess']) assert.ok(takesStateOf(now, was), `${was} -> ${now}`);
  assert.ok(takesStateOf('reduce', 'reduce'));
  assert.ok(!takesStateOf('map', 'reduce'));
  assert.ok(!takesStateOf('reduce', 'process'));
  assert.ok(!takesStateOf('window', 'process'));
});

// ---- properties: a stored manifest reads back as written, or fails as corrupt; never as another manifest --------

const uid = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const ref = fc.record({ key: fc.string({ minLength: 1, maxLength: 20 }), bytes: fc.nat(), crc32: fc.nat({ max: 0xffffffff }), sealed: fc.boolean() });
const keyedRef = fc.record({ key: fc.string({ minLength: 1, maxLength: 20 }), bytes: fc.nat(), crc32: fc.nat({ max: 0xffffffff }), full: fc.boolean(), entries: fc.nat(1000) });
const operator = fc.record({
  name: fc.string({ maxLength: 12 }),
  kind: fc.constantFrom('process', 'window', 'reduce'),
  parallelism: fc.integer({ min: 1, max: 8 }),
  keyGroups: fc.dictionary(fc.nat(127).map(String), fc.record({ chain: fc.array(keyedRef, { minLength: 1, maxLength: 3 }), entries: fc.nat(1000) }), { maxKeys: 4 }),
  operatorState: fc.option(fc.record({ redistribute: fc.constantFrom('split', 'union', 'broadcast'), parts: fc.array(fc.option(ref, { nil: null }), { maxLength: 3 }) }), { nil: undefined }),
}, { requiredKeys: ['name', 'parallelism', 'keyGroups'] });
const manifestArb = fc.record({
  id: fc.integer({ min: 1, max: 1e9 }),
  kind: fc.constantFrom('checkpoint', 'savepoint', 'final'),
  operators: fc.dictionary(uid, operator, { maxKeys: 3 }),
  sources: fc.dictionary(uid, fc.record({ kind: fc.constantFrom('file', 'generator'), splits: fc.array(fc.record({ id: fc.string({ maxLength: 8 }), position: fc.jsonValue() }), { maxLength: 3 }) }), { maxKeys: 2 }),
  watermarks: fc.dictionary(uid, fc.array(fc.option(fc.integer(), { nil: null }), { maxLength: 3 }), { maxKeys: 2 }),
  finished: fc.boolean(),
}).map(({ id, kind, operators, sources, watermarks, finished }): Manifest => {
  let keyedEntries = 0;
  for (const op of Object.values(operators)) for (const g of Object.values(op.keyGroups ?? {})) keyedEntries += g.entries;
  return sealManifest({
    format: MANIFEST_FORMAT, id, kind, ...(kind === 'savepoint' ? { name: `sp-${id}` } : {}), createdAt: '2026-12-05T00:00:00.000Z', maxParallelism: 128,
    jobFingerprint: sha256(String(id)), operators: operators as Manifest['operators'], sources: sources as Manifest['sources'], watermarks,
    taskParallelism: Object.fromEntries(Object.entries(operators).map(([u, op]) => [u, op.parallelism])), keyedEntries, finished,
  });
});

/** What a stored manifest reads back as: the manifest itself (through JSON, as stored), or a CorruptCheckpointError. */
function readsAs(id: number, bytes: Uint8Array, want: Manifest): void {
  let got: Manifest;
  try {
    got = parseManifest(id, bytes);
  } catch (e) {
    assert.ok(e instanceof CorruptCheckpointError, `not a CorruptCheckpointError: ${String(e)}`);
    return;
  }
  assert.deepEqual(got, JSON.parse(JSON.stringify(want)));
}

test('property: every manifest reads back as written', () => {
  fc.assert(fc.property(manifestArb, (m) => {
    assert.deepEqual(parseManifest(m.id, encodeManifest(m)), JSON.parse(JSON.stringify(m)));
  }), { numRuns: 300 });
});

test('property: a truncated or corrupted manifest, or one stored under another id, fails as corrupt, never reads as another', () => {
  fc.assert(fc.property(manifestArb, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.nat(), (m, at, x, cut) => {
    const bytes = encodeManifest(m);
    const flipped = Uint8Array.from(bytes);
    flipped[at % bytes.length]! ^= x;
    readsAs(m.id, flipped, m);
    readsAs(m.id, bytes.subarray(0, cut % bytes.length), m);
    assert.throws(() => parseManifest(m.id + 1, bytes), CorruptCheckpointError);
  }), { numRuns: 500 });
});
