// The PUBLISHED mark: the one guard against resuming behind published sink output after LevelDB lost its newest
// records. A mark that is there but damaged is an error, never "nothing published" (regression: a flipped
// byte turned the guard off, and a resume published 10,240 records twice).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PublishedMarkError, readPublishedMark, writePublishedMark } from '../../../core/checkpoint/published-mark.js';

const dir = (): string => mkdtempSync(path.join(tmpdir(), 'sluice-mark-'));
const file = (d: string): string => path.join(d, 'PUBLISHED');

test('no mark reads as 0; a written one reads back, and only moves forward', () => {
  const d = dir();
  assert.equal(readPublishedMark(d), 0);
  writePublishedMark(d, 17);
  assert.equal(readPublishedMark(d), 17);
  writePublishedMark(d, 12);
  assert.equal(readPublishedMark(d), 17);
});

test('a mark written before marks carried a checksum is read as it is', () => {
  const d = dir();
  writeFileSync(file(d), JSON.stringify({ checkpointId: 9, at: '2026-12-01T00:00:00.000Z' }));
  assert.equal(readPublishedMark(d), 9);
});

test('every single-byte change of a written mark is refused or harmless, never another checkpoint id', () => {
  const d = dir();
  writePublishedMark(d, 17);
  const good = readFileSync(file(d));
  let refused = 0;
  for (let i = 0; i < good.length; i++) {
    for (const x of [0x01, 0x02, 0x10, 0x20]) {
      const b = Buffer.from(good);
      b[i]! ^= x;
      writeFileSync(file(d), b);
      let id: number | undefined;
      try { id = readPublishedMark(d); } catch (e) { assert.ok(e instanceof PublishedMarkError, String(e)); refused++; continue; }
      assert.equal(id, 17, `byte ${i} ^ ${x} read as checkpoint ${id}`);
    }
  }
  assert.ok(refused > good.length, `most changes refused (${refused})`);
});

test('a damaged mark is a PublishedMarkError naming the directory, and is not overwritten', () => {
  for (const text of ['{"9heckpointId":17,"at":"x"}', '', '{"checkpointId":', 'null', '{"checkpointId":-1}', '{"checkpointId":"17"}']) {
    const d = dir();
    writeFileSync(file(d), text);
    assert.throws(() => readPublishedMark(d), (e: Error) => e instanceof PublishedMarkError && e.message.includes(d) && /delete it and resume only if duplicate output is acceptable/.test(e.message), text);
    assert.throws(() => writePublishedMark(d, 20), PublishedMarkError);
    assert.equal(readFileSync(file(d), 'utf8'), text);
  }
});

// Regression: a flipped bit in the "crc" key made a mark read as the older format, unchecked: a
// second flip in its id was then trusted.
test('a mark whose checksum key is damaged is refused, not read as one of the older format', () => {
  const d = dir();
  writePublishedMark(d, 17);
  writeFileSync(file(d), readFileSync(file(d), 'utf8').replace('"crc"', '"brc"').replace('"checkpointId":17', '"checkpointId":71'));
  assert.throws(() => readPublishedMark(d), (e: Error) => e instanceof PublishedMarkError && /no checksum, and is not a mark of the older format/.test(e.message));
});
