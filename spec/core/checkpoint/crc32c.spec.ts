import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32c, maskCrc32c } from '../../../core/checkpoint/crc32c.js';

const hex = (n: number): string => n.toString(16).padStart(8, '0');

// The check value of CRC-32C, and the vectors of LevelDB's own crc32c test (RFC 3720, B.4).
test('crc32c: known values, sliced and byte at a time', () => {
  const cases: [Uint8Array, string][] = [
    [new TextEncoder().encode('123456789'), 'e3069283'],
    [new Uint8Array(32), '8a9136aa'],
    [new Uint8Array(32).fill(0xff), '62a8ab43'],
    [Uint8Array.from({ length: 32 }, (_, i) => i), '46dd794e'],
    [Uint8Array.from({ length: 32 }, (_, i) => 31 - i), '113fdb5c'],
    [new Uint8Array(0), '00000000'],
  ];
  for (const [bytes, want] of cases) {
    assert.equal(hex(crc32c(bytes, 0, bytes.length)), want);
    assert.equal(hex(crc32c(bytes, 0, bytes.length, 0, false)), want);
  }
});

test('crc32c: sliced and byte at a time agree on any range, and a range checked in pieces equals it whole', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat(), fc.nat(), (bytes, a, b, c) => {
    const start = bytes.length === 0 ? 0 : a % bytes.length;
    const end = start + (b % (bytes.length - start + 1));
    const cut = start + (c % (end - start + 1));
    const whole = crc32c(bytes, start, end);
    assert.equal(crc32c(bytes, start, end, 0, false), whole);
    assert.equal(crc32c(bytes, cut, end, crc32c(bytes, start, cut)), whole);
    assert.equal(crc32c(bytes, cut, end, crc32c(bytes, start, cut, 0, false), false), whole);
  }), { numRuns: 500 });
});

// LevelDB's mask: rotate right by 15 bits, add 0xa282ead8 (mod 2^32).
test('maskCrc32c: as LevelDB masks a CRC', () => {
  assert.equal(hex(maskCrc32c(0)), 'a282ead8');
  assert.equal(hex(maskCrc32c(0x0000_8000)), 'a282ead9');
  assert.equal(hex(maskCrc32c(0xffff_ffff)), hex((0xffff_ffff + 0xa282_ead8) >>> 0));
  assert.equal(hex(maskCrc32c(0x0000_0001)), hex((0x0002_0000 + 0xa282_ead8) >>> 0));
  assert.notEqual(maskCrc32c(crc32c(new Uint8Array(4), 0, 4)), crc32c(new Uint8Array(4), 0, 4));
});
