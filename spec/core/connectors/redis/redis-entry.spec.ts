// Decoding one stream entry: strict UTF-8 fields, the decoder's own failures as bad input, lossless raw bytes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { unpack } from 'msgpackr';
import { decodeEntry, entryAsIs, jsonField } from '../../../../core/connectors/redis/redis-entry.js';
import { compareStreamIds, checkStreamId } from '../../../../core/connectors/redis/redis-client.js';
import { ConnectorOptionError, EntryUndecodableError, InvalidUtf8Error } from '../../../../core/connectors/errors.js';

const b = (s: string): Buffer => Buffer.from(s);

test('fields become an object; a decoder error of any kind is an EntryUndecodableError at stream/id, with its cause', () => {
  const ok = decodeEntry('s', '1-0', [b('data'), b('{"a":1}')], jsonField());
  assert.deepEqual(ok, { ok: true, value: { a: 1 } });
  const thrown = new RangeError('too big');
  const d = decodeEntry('s', '1-1', [b('n'), b('9')], () => { throw thrown; });
  assert.equal(d.ok, false);
  if (d.ok) return;
  assert.ok(d.bad.error instanceof EntryUndecodableError);
  assert.equal(d.bad.error.cause, thrown);
  assert.equal(d.bad.position, 's/1-1');
  assert.match(d.bad.error.message, /stream entry does not decode: too big at s\/1-1$/);
  assert.equal(d.bad.raw, '["n","9"]');
});

test('an odd number of field items and invalid UTF-8 are bad input; raw bytes survive as msgpack', () => {
  const odd = decodeEntry('s', '2-0', [b('lonely')], entryAsIs);
  assert.equal(odd.ok, false);
  if (!odd.ok) assert.match(odd.bad.error.message, /odd number of field items \(1\)/);
  const bytes = [b('data'), Buffer.from([0xc3, 0x28])];
  const bad = decodeEntry('s', '3-0', bytes, entryAsIs);
  assert.equal(bad.ok, false);
  if (bad.ok) return;
  assert.ok(bad.bad.error instanceof InvalidUtf8Error);
  assert.deepEqual((unpack(bad.bad.raw as Uint8Array) as Uint8Array[]).map((x) => [...x]), bytes.map((x) => [...x]));
});

test('stream ids compare numerically, not as strings; malformed ids are rejected', () => {
  assert.equal(compareStreamIds('9-0', '10-0'), -1);
  assert.equal(compareStreamIds('10-2', '10-10'), -1);
  assert.equal(compareStreamIds('18446744073709551615-1', '18446744073709551615-0'), 1);
  assert.equal(compareStreamIds('5-5', '5-5'), 0);
  assert.equal(checkStreamId('0-0', 'x'), '0-0');
  assert.throws(() => checkStreamId('$', 'x'), ConnectorOptionError);
  assert.throws(() => checkStreamId('18446744073709551616-0', 'x'), ConnectorOptionError);
});
