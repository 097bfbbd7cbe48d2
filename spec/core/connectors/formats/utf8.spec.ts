// Strict UTF-8: invalid bytes are an error naming where they are, never U+FFFD.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeUtf8Strict, firstInvalidUtf8 } from '../../../../core/connectors/formats/utf8.js';
import { InvalidUtf8Error } from '../../../../core/connectors/errors.js';

const at = { source: 'in.txt', line: 3, offset: 40 };

test('valid UTF-8 decodes, including 4-byte characters and a leading BOM kept as U+FEFF', () => {
  assert.equal(decodeUtf8Strict(Buffer.from('héllo 😀 ✓'), at), 'héllo 😀 ✓');
  assert.equal(decodeUtf8Strict(Buffer.from([0xef, 0xbb, 0xbf, 0x61]), at), '\ufeffa');
});

test('invalid UTF-8 is an InvalidUtf8Error with the offset of the first bad byte, not a replacement character', () => {
  const cases: [number[], number][] = [
    [[0x61, 0xff, 0x62], 1],            // never valid
    [[0x61, 0xc0, 0xaf], 1],            // overlong lead
    [[0xe0, 0x80, 0xaf], 1],            // overlong 3-byte
    [[0xed, 0xa0, 0x80], 1],            // UTF-16 surrogate
    [[0xf4, 0x90, 0x80, 0x80], 1],      // above U+10FFFF
    [[0x61, 0x62, 0xe2, 0x82], 2],      // truncated at the end: points at the lead byte
    [[0xe2, 0x28, 0xa1], 1],            // bad continuation
    [[0xf0, 0x9f, 0x98, 0x41], 3],      // bad third continuation
  ];
  for (const [bytes, bad] of cases) {
    assert.equal(firstInvalidUtf8(Uint8Array.from(bytes)), bad, `first invalid of ${bytes}`);
    assert.throws(() => decodeUtf8Strict(Uint8Array.from(bytes), at), (e: unknown) => {
      assert.ok(e instanceof InvalidUtf8Error);
      assert.equal(e.code, 'INVALID_UTF8');
      assert.equal(e.byteInRecord, bad);
      assert.deepEqual(e.location, at);
      assert.match(e.message, /invalid UTF-8: byte 0x[0-9a-f]{2} at offset \d+ of the record .* at in\.txt:3 \(byte 40\)/);
      return true;
    });
  }
});

test('property: the scanner agrees with the platform fatal decoder on arbitrary bytes', () => {
  const fatal = new TextDecoder('utf-8', { fatal: true });
  fc.assert(fc.property(fc.uint8Array({ maxLength: 24 }), (bytes) => {
    let ok = true;
    try { fatal.decode(bytes); } catch { ok = false; }
    assert.equal(firstInvalidUtf8(bytes) === -1, ok);
  }), { numRuns: 5000 });
});
