// JSON Lines: values per line, blank lines skipped, each kind of bad line classified with its position.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonLinesEncoder, jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { deadLetter } from '../../../../core/api/dead-letters.js';
import { ConnectorOptionError, EncodeError, InvalidUtf8Error, LineTooLongError, MalformedJsonError } from '../../../../core/connectors/errors.js';
import { decodeAll } from './decode.js';

test('one value per line; blank and whitespace-only lines are skipped', () => {
  const { values, bad } = decodeAll(jsonLines(), '{"a":1}\n\n  \t\n[1,2]\r\n"s"\n3');
  assert.deepEqual(values, [{ a: 1 }, [1, 2], 's', 3]);
  assert.equal(bad.length, 0);
});

test('skipBlankLines: false makes a blank line malformed JSON', () => {
  const { bad } = decodeAll(jsonLines({ skipBlankLines: false }), '1\n\n2\n');
  assert.equal(bad.length, 1);
  assert.ok(bad[0]!.error instanceof MalformedJsonError);
  assert.equal(bad[0]!.position, 'in.txt:2');
});

test('bad lines are classified: malformed JSON, invalid UTF-8, too long; the good ones around them all arrive', () => {
  const input = Buffer.concat([
    Buffer.from('{"ok":1}\n{"a":\n'),
    Buffer.from([0x22, 0x61, 0xc3, 0x28, 0x22, 0x0a]), // "a\xc3(" : invalid UTF-8 inside a string
    Buffer.from(`"${'x'.repeat(40)}"\n{"ok":2}\n{"a":1} {"b":2}\n`),
  ]);
  const { values, bad } = decodeAll(jsonLines(), input, 32);
  assert.deepEqual(values, [{ ok: 1 }, { ok: 2 }]);
  assert.equal(bad.length, 4);
  assert.ok(bad[0]!.error instanceof MalformedJsonError);
  assert.equal(bad[0]!.raw, '{"a":');
  assert.equal(bad[0]!.position, 'in.txt:2');
  assert.match(bad[0]!.error.message, /^malformed JSON: .* at in\.txt:2 \(byte 9\)$/);
  assert.ok(bad[1]!.error instanceof InvalidUtf8Error);
  assert.ok(bad[1]!.raw instanceof Uint8Array, 'invalid UTF-8 stays bytes');
  assert.deepEqual([...(bad[1]!.raw as Uint8Array)], [0x22, 0x61, 0xc3, 0x28, 0x22]);
  assert.equal(bad[1]!.position, 'in.txt:3');
  assert.ok(bad[2]!.error instanceof LineTooLongError);
  assert.equal((bad[2]!.error as LineTooLongError).length, 42);
  assert.equal((bad[2]!.raw as string).length, 32, 'the first maxLineBytes bytes are kept');
  assert.ok(bad[3]!.error instanceof MalformedJsonError, 'two values on one line');
  assert.equal(bad[3]!.position, 'in.txt:6');
});

test('the encoder writes one line per value and rejects what JSON cannot hold', () => {
  const enc = new JsonLinesEncoder();
  assert.equal(enc.encode({ s: 'a\nb' }), '{"s":"a\\nb"}\n');
  assert.throws(() => enc.encode(undefined), EncodeError);
  assert.throws(() => enc.encode(10n), (e: unknown) => e instanceof EncodeError && /BigInt/.test(e.message));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  assert.throws(() => enc.encode(cyclic), EncodeError);
});

// Regression: JSON.stringify's quiet rewrites were written as they came, NaN as null, a Set as {}.
test('the encoder refuses what JSON would write as another value, naming where it is; an undefined property is left out', () => {
  const enc = new JsonLinesEncoder();
  for (const [value, message] of [
    [{ amount: Number.NaN }, '$.amount is NaN, which JSON writes as null'],
    [{ a: { n: -Infinity } }, '$.a.n is -Infinity, which JSON writes as null'],
    [{ tags: new Set(['x']) }, '$.tags is a Set, which JSON writes as {}'],
    [[1, new Map()], '$[1] is a Map, which JSON writes as {}'],
    [{ xs: [1, undefined] }, '$.xs[1] is undefined, which JSON writes as null'],
    [{ xs: [() => 1] }, '$.xs[0] is a function, which JSON writes as null'],
    [{ when: new Date(Number.NaN) }, '$.when is an invalid Date, which JSON writes as null'],
    [{ bytes: new Uint8Array([1, 2]) }, '$.bytes is a Uint8Array, which JSON writes as an object of its indexes'],
    // Regression: left out as an undefined property is, a record of them was written as {} without a word.
    [{ id: 1, total: () => 5 }, '$.total is a function, which JSON leaves out'],
    [{ a: { tag: Symbol('t') } }, '$.a.tag is a symbol, which JSON leaves out'],
  ] as const) {
    assert.throws(() => enc.encode(value), (e: unknown) => e instanceof EncodeError && e.message === `JSON Lines: ${message}; convert it first`, message);
  }
  assert.equal(enc.encode({ a: 1, gone: undefined, at: new Date(0), none: null }), '{"a":1,"at":"1970-01-01T00:00:00.000Z","none":null}\n');
  // A dead letter is written whatever its raw record holds: refusing it would fail the job on the input its error
  // policy keeps (invalid UTF-8 arrives as bytes; an operator's rejected input may hold NaN).
  const bytes = deadLetter('src', 0, new Error('invalid UTF-8'), new Uint8Array([0xff, 0xfe]), 'in.txt:3');
  assert.equal(enc.encode(bytes), '{"operator":"src","subtask":0,"error":{"name":"Error","message":"invalid UTF-8"},"raw":{"0":255,"1":254},"position":"in.txt:3"}\n');
  assert.equal(enc.encode(deadLetter('parse', 1, new Error('bad amount'), { amount: Number.NaN })), '{"operator":"parse","subtask":1,"error":{"name":"Error","message":"bad amount"},"raw":{"amount":null}}\n');
  // Regression: a BigInt in a dead letter's raw record failed the job at the dead-letter sink.
  assert.equal(enc.encode(deadLetter('parse', 1, new Error('bad'), { i: 2, x: 10n })), '{"operator":"parse","subtask":1,"error":{"name":"Error","message":"bad"},"raw":{"i":2,"x":"10n"}}\n');
  assert.throws(() => enc.encode({ x: 10n }), EncodeError, 'an ordinary record still refuses it');
});

/** What a value reads back as when JSON holds it exactly: undefined properties left out, a Date as its ISO text, -0 as 0. */
function asRead(v: unknown): unknown {
  if (v instanceof Date) return v.toJSON();
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(asRead);
  if (typeof v !== 'object' || v === null) return v;
  const o: Record<string, unknown> = {};
  for (const k of Object.keys(v)) {
    const x = (v as Record<string, unknown>)[k];
    if (x !== undefined) Object.defineProperty(o, k, { value: asRead(x), enumerable: true, writable: true, configurable: true });
  }
  return o;
}

test('property: any value is written so that it reads back as itself, or refused with an EncodeError', () => {
  const enc = new JsonLinesEncoder();
  const anything = fc.anything({ withMap: true, withSet: true, withDate: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true, withBigInt: true });
  fc.assert(fc.property(anything, (v) => {
    let text: string;
    try {
      text = enc.encode(v);
    } catch (e) {
      assert.ok(e instanceof EncodeError, String(e));
      // The refusal names a place (the quick check and the one that names it agree).
      assert.ok(!/JSON Lines: undefined;/.test(e.message), e.message);
      return;
    }
    assert.deepEqual(decodeAll(jsonLines(), text).values, [asRead(v)]);
  }), { numRuns: 2000 });
});

test('property: encode then decode gives the values back', () => {
  const enc = new JsonLinesEncoder();
  fc.assert(fc.property(fc.array(fc.jsonValue(), { maxLength: 20 }), (values) => {
    const text = values.map((v) => enc.encode(v)).join('');
    // JSON has no -0: it reads back as 0.
    assert.deepEqual(decodeAll(jsonLines(), text).values, JSON.parse(JSON.stringify(values)));
  }), { numRuns: 300 });
});

// Regression: jsonLines({ skipBlankLine: false }) was ignored, blank lines still skipped.
test('jsonLines refuses a misspelt option, naming the nearest one', () => {
  assert.throws(() => jsonLines({ skipBlankLine: false } as never), (e: unknown) =>
    e instanceof ConnectorOptionError && e.message === "jsonLines: unknown option 'skipBlankLine' (did you mean 'skipBlankLines'?); known: skipBlankLines");
  assert.throws(() => jsonLines(null as never), (e: unknown) => e instanceof ConnectorOptionError && e.message === 'jsonLines: options must be an object, got null');
  assert.equal(jsonLines({ skipBlankLines: undefined }).fingerprint, 'jsonl(skipBlank=true)');
});
