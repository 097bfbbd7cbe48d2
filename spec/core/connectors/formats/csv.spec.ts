// CSV: header or declared columns, RFC 4180 quoting, strict errors, and the encoder's quoting round-tripping.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CsvEncoder, csv } from '../../../../core/connectors/formats/csv.js';
import {
  ConnectorOptionError, CsvColumnCountError, CsvHeaderError, CsvSyntaxError, EncodeError, InvalidUtf8Error,
} from '../../../../core/connectors/errors.js';
import { decodeAll } from './decode.js';

test('header row names the columns; quoted fields hold delimiters, doubled quotes and line breaks', () => {
  const { values, bad } = decodeAll(csv({ header: true }), 'id,text,n\r\n1,"a, b",x\r\n2,"say ""hi""\nthere",\r\n\r\n3,,"" \n'.replace(' \n', '\n'));
  assert.equal(bad.length, 0);
  assert.deepEqual(values, [
    { id: '1', text: 'a, b', n: 'x' },
    { id: '2', text: 'say "hi"\nthere', n: '' },
    { id: '3', text: '', n: '' },
  ]);
});

test('declared columns, another delimiter, no header row', () => {
  const { values } = decodeAll(csv({ columns: ['a', 'b'], delimiter: ';' }), '1;2\n"x;y";z\n');
  assert.deepEqual(values, [{ a: '1', b: '2' }, { a: 'x;y', b: 'z' }]);
});

test('a column named __proto__ is an own property, not the prototype', () => {
  const { values } = decodeAll(csv({ header: true }), '__proto__,b\n1,2\n');
  const row = values[0]!;
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
  assert.deepEqual(Object.keys(row), ['__proto__', 'b']);
});

test('wrong column count and quote misuse are bad records with positions; the others arrive', () => {
  const input = 'a,b\n1,2\n1,2,3\nonly\n"x"y,2\nx"y,2\n"ok",2\n"open,2\n';
  const { values, bad } = decodeAll(csv({ header: true }), input, 64);
  assert.deepEqual(values, [{ a: '1', b: '2' }, { a: 'ok', b: '2' }]);
  assert.deepEqual(bad.map((b) => b.error.constructor.name), ['CsvColumnCountError', 'CsvColumnCountError', 'CsvSyntaxError', 'CsvSyntaxError', 'CsvSyntaxError']);
  assert.deepEqual(bad.map((b) => b.position), ['in.txt:3', 'in.txt:4', 'in.txt:5', 'in.txt:6', 'in.txt:8']);
  const count = bad[0]!.error as CsvColumnCountError;
  assert.equal(count.code, 'CSV_COLUMN_COUNT');
  assert.deepEqual([count.expected, count.actual], [2, 3]);
  assert.match(count.message, /CSV record has 3 fields, expected 2 at in\.txt:3 \(byte 8\)/);
  assert.match(bad[2]!.error.message, /after the closing quote of field 1/);
  assert.match(bad[3]!.error.message, /quote inside unquoted field 1/);
  assert.match(bad[4]!.error.message, /unterminated quoted field/);
  assert.ok(bad.every((b) => b.error instanceof CsvColumnCountError || b.error instanceof CsvSyntaxError));
});

test('invalid UTF-8 in a CSV record is bad input; in the header it fails the input', () => {
  const bytes = Buffer.concat([Buffer.from('a,b\n1,'), Buffer.from([0xff]), Buffer.from('\n3,4\n')]);
  const { values, bad } = decodeAll(csv({ header: true }), bytes);
  assert.deepEqual(values, [{ a: '3', b: '4' }]);
  assert.ok(bad[0]!.error instanceof InvalidUtf8Error);
  assert.throws(() => decodeAll(csv({ header: true }), Buffer.from([0x61, 0xff, 0x0a])), CsvHeaderError);
});

test('header problems are CsvHeaderErrors: duplicates, mismatch with declared columns', () => {
  assert.throws(() => decodeAll(csv({ header: true }), 'a,a\n1,2\n'), /duplicate column name "a"/);
  assert.throws(() => decodeAll(csv({ header: true, columns: ['a', 'b'] }), 'a,c\n1,2\n'), (e: unknown) => e instanceof CsvHeaderError && /does not match/.test(e.message));
  assert.deepEqual(decodeAll(csv({ header: true, columns: ['a', 'b'] }), 'a,b\n1,2\n').values, [{ a: '1', b: '2' }]);
});

test('bad options are ConnectorOptionErrors', () => {
  assert.throws(() => csv(), ConnectorOptionError);
  assert.throws(() => csv({ header: true, delimiter: '"' }), ConnectorOptionError);
  assert.throws(() => csv({ columns: ['a', 'a'] }), ConnectorOptionError);
  assert.throws(() => new CsvEncoder({ columns: [] }), ConnectorOptionError);
});

test('the encoder quotes only what needs it and rejects values it cannot write', () => {
  const enc = new CsvEncoder({ columns: ['a', 'b', 'c'] });
  assert.equal(enc.header(), 'a,b,c\n');
  assert.equal(enc.encode({ a: 'x,y', b: 'say "hi"', c: 'l1\nl2' }), '"x,y","say ""hi""","l1\nl2"\n');
  assert.equal(enc.encode([1, null, true]), '1,,true\n');
  assert.equal(new CsvEncoder({ columns: ['d'], lineEnding: '\r\n' }).encode({ d: new Date(0) }), '1970-01-01T00:00:00.000Z\r\n');
  assert.throws(() => enc.encode([1, 2]), (e: unknown) => e instanceof EncodeError && /2 values, expected 3/.test(e.message));
  assert.throws(() => enc.encode({ a: { nested: 1 } }), (e: unknown) => e instanceof EncodeError && /column "a"/.test(e.message));
  // Regression: toISOString's RangeError came out as "file sink: encode failed: Invalid time value", no column named.
  assert.throws(() => enc.encode({ b: new Date(Number.NaN) }), (e: unknown) => e instanceof EncodeError && /CSV: column "b" holds an invalid Date/.test(e.message));
});

// A leading U+FEFF (the byte order mark's character) in the file's first field: unquoted, a reader dropped it as a
// mark (regression: "\uFEFFA-1" read back as "A-1", and a header column named so failed to match its own format).
test('property: rows encoded by CsvEncoder decode back identically, whatever the delimiter, line ending and header', () => {
  const field = fc.array(fc.oneof(fc.constantFrom(',', ';', '"', '\n', '\r\n', ' ', 'é', '😀', '\uFEFF'), fc.string({ maxLength: 4 })), { maxLength: 5 }).map((xs) => xs.join(''));
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 4 }).chain((k) => fc.tuple(fc.constant(k), fc.array(fc.array(field, { minLength: k, maxLength: k }), { maxLength: 10 }))),
    fc.constantFrom(',', ';', '\t'),
    fc.constantFrom('\n', '\r\n') as fc.Arbitrary<'\n' | '\r\n'>,
    fc.boolean(),
    ([k, rows], delimiter, lineEnding, header) => {
      const columns = Array.from({ length: k }, (_, i) => `${i === 0 && header ? '\uFEFF' : ''}c${i}`);
      const enc = new CsvEncoder({ columns, delimiter, lineEnding });
      const text = (header ? enc.header() : '') + rows.map((r) => enc.encode(r)).join('');
      const { values, bad } = decodeAll(header ? csv({ header: true, delimiter }) : csv({ columns, delimiter }), text);
      assert.deepEqual(bad, []);
      assert.deepEqual(values, rows.map((r) => Object.fromEntries(columns.map((c, i) => [c, r[i]]))));
    },
  ), { numRuns: 300 });
});

test('CR-only line ends are bad input, not a header row that swallows the file (every record lost without an error)', () => {
  // Classic Mac line ends: no LF, so the whole file is one record; its CRs were read as field text.
  assert.throws(() => decodeAll(csv({ header: true }), 'a,b\r1,2\r3,4\r'), (e: unknown) => e instanceof CsvHeaderError && /carriage return inside unquoted field 2/.test(e.message));
  const { values, bad } = decodeAll(csv({ columns: ['a'] }), 'x\r\ny\rz\n"q\rr"\n');
  assert.deepEqual(values, [{ a: 'x' }, { a: 'q\rr' }], 'CRLF ends a record; a quoted CR is a value');
  assert.deepEqual(bad.map((b) => [b.error.constructor.name, b.position]), [['CsvSyntaxError', 'in.txt:2']]);
  assert.match(bad[0]!.error.message, /carriage return inside unquoted field 1/);
});

test('csv refuses a misspelt option, naming the nearest one', () => {
  assert.throws(() => csv({ header: true, delimeter: ';' } as never), (e: unknown) =>
    e instanceof ConnectorOptionError && e.message === "csv: unknown option 'delimeter' (did you mean 'delimiter'?); known: header, columns, delimiter, skipBlankLines");
  assert.throws(() => csv(null as never), (e: unknown) => e instanceof ConnectorOptionError && e.message === 'csv: options must be an object, got null');
  assert.equal(csv({ header: true, delimiter: undefined }).header, true);
});
