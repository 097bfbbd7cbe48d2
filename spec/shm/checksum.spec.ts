import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { crc32, NATIVE_CRC_MIN_BYTES } from '../../shm/checksum.js';

test('crc32: the check value of "123456789" is cbf43926, with the native path on and off', () => {
  const bytes = new TextEncoder().encode('123456789'.repeat(200)).subarray(0, 9);
  assert.equal(crc32(bytes, 0, 9).toString(16), 'cbf43926');
  assert.equal(crc32(bytes, 0, 9, false).toString(16), 'cbf43926');
});

test('crc32: the native fast path and the table loop agree on any range, long or short, shared memory too', () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 3 * NATIVE_CRC_MIN_BYTES }), fc.nat(), fc.nat(), fc.boolean(), (data, a, b, shared) => {
    const bytes = shared ? new Uint8Array(new SharedArrayBuffer(data.length)) : new Uint8Array(data.length);
    bytes.set(data);
    const start = data.length === 0 ? 0 : a % data.length;
    const end = start + (data.length === start ? 0 : b % (data.length - start + 1));
    assert.equal(crc32(bytes, start, end, true), crc32(bytes, start, end, false));
  }), { numRuns: 300 });
});
