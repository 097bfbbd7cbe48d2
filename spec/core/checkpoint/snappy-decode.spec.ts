import { test } from 'node:test';
import assert from 'node:assert/strict';
import { snappyDecode } from '../../../core/checkpoint/snappy-decode.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

// Built by hand from the format: a varint length, then literals and copies (1, 2 and 4-byte offsets).
test('snappy: literals, copies of each offset width, overlapping runs, a long literal', () => {
  // 'abc' then a copy of 9 from 3 back (1-byte offset): overlaps what it writes.
  assert.equal(text(snappyDecode(Uint8Array.from([12, 2 << 2, 97, 98, 99, ((9 - 4) << 2) | 1, 3]))), 'abcabcabcabc');
  // 'xy' then 3 from 2 back with a 2-byte offset, then 2 from 1 back with a 4-byte offset.
  assert.equal(text(snappyDecode(Uint8Array.from([7, 1 << 2, 120, 121, ((3 - 1) << 2) | 2, 2, 0, ((2 - 1) << 2) | 3, 1, 0, 0, 0]))), 'xyxyxxx');
  // A literal of 70 bytes: its length minus one in the byte after the tag (tag 60).
  const long = Uint8Array.from({ length: 70 }, (_, i) => 65 + (i % 26));
  assert.deepEqual(snappyDecode(Uint8Array.from([70, 60 << 2, 69, ...long])), long);
});

test('snappy: bytes that are no valid Snappy are refused, never read past', () => {
  const bad: [number[], RegExp][] = [
    [[12, 2 << 2, 97, 98, 99, ((9 - 4) << 2) | 1, 0], /a copy from 0 bytes back/],
    [[12, 2 << 2, 97, 98, 99, ((9 - 4) << 2) | 1, 4], /a copy from 4 bytes back at 3/],
    [[4, 2 << 2, 97, 98, 99], /3 bytes decoded, 4 declared/],
    [[2, 2 << 2, 97, 98, 99], /a literal past the declared length/],
    [[12, 2 << 2, 97], /snappy literal: 3 bytes asked for, 1 left/],
    [[12, 2 << 2, 97, 98, 99, ((9 - 4) << 2) | 1], /snappy copy: 1 bytes asked for, 0 left/],
    [[0x80], /varint runs past the end/],
  ];
  for (const [bytes, msg] of bad) assert.throws(() => snappyDecode(Uint8Array.from(bytes)), (e: Error) => e.name === 'LevelDbFormatError' && msg.test(e.message), JSON.stringify(bytes));
});
