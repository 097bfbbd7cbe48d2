// Framing byte chunks into records with exact offsets and line numbers, whatever the chunk boundaries.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LineFramer, RECORD_OVERHEAD_BYTES, type FramedRecord, type LineFramerOptions } from '../../../../core/connectors/formats/line-framer.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

function frame(input: Buffer, cuts: number[], options: LineFramerOptions = {}, start = 0, line = 1): FramedRecord[] {
  const f = new LineFramer(start, line, options);
  const out: FramedRecord[] = [];
  let p = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < input.length)].sort((a, b) => a - b).concat(input.length)) {
    f.push(input.subarray(p, c));
    p = c;
    for (let r = f.shift(); r; r = f.shift()) out.push(r);
  }
  f.finish();
  for (let r = f.shift(); r; r = f.shift()) out.push(r);
  return out;
}

const texts = (rs: FramedRecord[]): string[] => rs.map((r) => r.bytes.toString());

test('LF and CRLF lines with byte offsets, ends and line numbers; a last line without LF is kept at finish', () => {
  const input = Buffer.from('a\r\nbé\n\nlast');
  const rs = frame(input, []);
  assert.deepEqual(texts(rs), ['a', 'bé', '', 'last']);
  assert.deepEqual(rs.map((r) => [r.offset, r.end, r.line, r.lines]), [[0, 3, 1, 1], [3, 7, 2, 1], [7, 8, 3, 1], [8, 12, 4, 1]]);
});

test('an unterminated last line is not framed until finish (follow mode never calls finish)', () => {
  const f = new LineFramer();
  f.push(Buffer.from('one\ntw'));
  assert.equal(f.shift()?.bytes.toString(), 'one');
  assert.equal(f.shift(), undefined);
  assert.equal(f.partialBytes, 2);
  f.push(Buffer.from('o\n'));
  const r = f.shift()!;
  assert.deepEqual([r.bytes.toString(), r.offset, r.end, r.line], ['two', 4, 8, 2]);
  assert.equal(f.partialBytes, 0);
});

test('a BOM at byte 0 is dropped, one elsewhere is kept', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  assert.deepEqual(texts(frame(Buffer.concat([bom, Buffer.from('x\n')]), [1, 2])), ['x']);
  assert.deepEqual(frame(Buffer.concat([bom, Buffer.from('x\n')]), [], {}, 10)[0]!.bytes.length, 4);
});

// Regression: an empty file saved with a byte order mark (Notepad does) was one empty record, which JSON Lines
// read as malformed: a job over an empty input failed, or dead-lettered a line the file does not have.
test('a byte order mark and nothing else is no record, in line and csv framing, cut anywhere', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  for (const cuts of [[], [1], [2], [1, 2]]) {
    assert.deepEqual(frame(bom, cuts), [], `cuts ${cuts}`);
    assert.deepEqual(frame(bom, cuts, { framing: 'csv' }), [], `csv, cuts ${cuts}`);
  }
  assert.deepEqual(texts(frame(Buffer.concat([bom, Buffer.from('\n')]), [])), [''], 'a BOM and a line end: a blank line');
  assert.deepEqual(frame(bom, [], {}, 10).map((r) => r.bytes.length), [3], 'not at the start of the file: bytes of a record');
});

test('a line over maxLineBytes is flagged with its full length, cut to the limit, and framing resumes after it', () => {
  const input = Buffer.from('short\n' + 'x'.repeat(25) + '\r\nnext\n');
  const rs = frame(input, [3, 9, 17], { maxLineBytes: 10 });
  assert.deepEqual(texts(rs), ['short', 'x'.repeat(10), 'next']);
  assert.deepEqual(rs.map((r) => r.tooLong), [0, 25, 0]);
  assert.deepEqual(rs.map((r) => [r.offset, r.end, r.line]), [[0, 6, 1], [6, 33, 2], [33, 38, 3]]);
});

test('a line of exactly maxLineBytes, with or without CR, is not too long', () => {
  const rs = frame(Buffer.from('abcd\r\nefgh\nijklm\n'), [], { maxLineBytes: 4 });
  assert.deepEqual(rs.map((r) => r.tooLong), [0, 0, 5]);
});

test('csv framing: line breaks inside quotes belong to the field; line numbers count physical lines', () => {
  const input = Buffer.from('a,"x\ny"\r\nb,"say ""hi""\n\n"\nc,d\n');
  const rs = frame(input, [5, 6, 14]);
  const csvRs = frame(input, [5, 6, 14], { framing: 'csv' });
  assert.equal(rs.length, 6);
  assert.deepEqual(texts(csvRs), ['a,"x\ny"', 'b,"say ""hi""\n\n"', 'c,d']);
  assert.deepEqual(csvRs.map((r) => [r.line, r.lines]), [[1, 2], [3, 3], [6, 1]]);
  assert.equal(csvRs[2]!.offset, input.indexOf('c,d'));
});

// Regression: the BOM's first byte was taken as the start of the first field, so a quoted first field
// read as unquoted and a line break inside it split the record (Excel's "CSV UTF-8" writes a BOM).
test('csv framing: a BOM before a quoted first field holding a line break, cut anywhere; a lone 0xEF still starts an unquoted field', () => {
  const body = Buffer.from('"note\nline2",id\n"a\nb",1\n');
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), body]);
  for (let c1 = 0; c1 <= 4; c1++) {
    for (let c2 = c1; c2 <= 6; c2++) {
      assert.deepEqual(texts(frame(withBom, [c1, c2], { framing: 'csv' })), ['"note\nline2",id', '"a\nb",1'], `cut at ${c1}, ${c2}`);
    }
  }
  // 0xEF then a quote is not a mark: the field is unquoted, so its line break ends the record, as without the fix.
  const notBom = Buffer.concat([Buffer.from([0xef]), Buffer.from('"x\ny",1\n')]);
  assert.equal(frame(notBom, [1], { framing: 'csv' }).length, 2);
});

// Regression: a too-long record was skipped to the next LF, quotes ignored, so the lines of a long quoted field
// became records of their own, and those parse as well as any: wrong values, not a flagged record.
test('csv framing: a too-long quoted field is one flagged record, line breaks and record-like lines inside it included, cut anywhere', () => {
  const long = '"' + 'z'.repeat(20) + '\n2,fake,row\n' + 'y'.repeat(10) + '"';
  const input = Buffer.from(`1,${long},x\r\n3,ok\n`);
  for (let cut = 0; cut <= input.length; cut++) {
    const rs = frame(input, [cut], { framing: 'csv', maxLineBytes: 8 });
    assert.deepEqual(texts(rs), ['1,"zzzzz', '3,ok'], `cut at ${cut}`);
    assert.equal(rs[0]!.tooLong, `1,${long},x`.length);
    assert.deepEqual(rs.map((r) => [r.line, r.lines, r.offset]), [[1, 3, 0], [4, 1, input.indexOf('3,ok')]], `cut at ${cut}`);
  }
});

test('csv framing: an unbalanced quote in a too-long record makes the rest of the input that one flagged record', () => {
  const input = Buffer.from('a,"' + 'z'.repeat(30) + '\nb,c\n');
  const rs = frame(input, [], { framing: 'csv', maxLineBytes: 8 });
  assert.deepEqual(texts(rs), ['a,"zzzzz']);
  assert.equal(rs[0]!.tooLong, input.length);
  assert.equal(rs[0]!.end, input.length);
});

// Regression: the mark was stripped after the record was cut to the limit, so a first line was
// reported against a maximum 3 bytes short ("exceeds the maximum of 7 bytes" with maxLineBytes 10).
test('a byte order mark does not count against maxLineBytes: the first line may hold the limit, a longer one is flagged with its length', () => {
  const bom = Buffer.from([0xef, 0xbb, 0xbf]);
  for (const framing of ['line', 'csv'] as const) {
    for (let cut = 0; cut <= 16; cut++) {
      const fits = frame(Buffer.concat([bom, Buffer.from('0123456789\r\nabc\n')]), [cut], { framing, maxLineBytes: 10 });
      assert.deepEqual(fits.map((r) => [r.bytes.toString(), r.tooLong]), [['0123456789', 0], ['abc', 0]], `${framing}, cut at ${cut}`);
      const over = frame(Buffer.concat([bom, Buffer.from('0123456789X\nabc\n')]), [cut], { framing, maxLineBytes: 10 });
      assert.deepEqual(over.map((r) => [r.bytes.toString(), r.tooLong]), [['0123456789', 11], ['abc', 0]], `${framing}, cut at ${cut}`);
    }
  }
});

test('bufferedBytes counts each queued record\'s overhead, so blank lines count against read-ahead limits', () => {
  const f = new LineFramer(0, 1);
  f.push(Buffer.from('\n\n\nab'));
  assert.equal(f.queued, 3);
  assert.equal(f.bufferedBytes, 3 * RECORD_OVERHEAD_BYTES + 2);
  f.shift();
  assert.equal(f.bufferedBytes, 2 * RECORD_OVERHEAD_BYTES + 2);
});

test('bad options are ConnectorOptionErrors', () => {
  assert.throws(() => new LineFramer(0, 1, { maxLineBytes: 0 }), ConnectorOptionError);
  assert.throws(() => new LineFramer(-1, 1), ConnectorOptionError);
  assert.throws(() => new LineFramer(0, 0), ConnectorOptionError);
});

const lineArb = fc.array(fc.oneof(fc.constantFrom('a', 'é', '😀', '"', ',', '\r', ' '), fc.string({ maxLength: 3 })), { maxLength: 8 }).map((xs) => xs.join('').replaceAll('\n', ''));

test('property: any chunking gives the same records; offsets and ends tile the input; resuming at any end gives the suffix', () => {
  fc.assert(fc.property(
    fc.array(lineArb, { maxLength: 20 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
    fc.array(fc.nat({ max: 400 }), { maxLength: 10 }),
    fc.nat(),
    (lines, eol, trailing, cuts, resumeAt) => {
      const text = lines.join(eol) + (trailing && lines.length > 0 ? eol : '');
      const input = Buffer.from(text);
      const whole = frame(input, []);
      const chunked = frame(input, cuts);
      assert.deepEqual(chunked, whole);
      let expectOffset = 0;
      for (const r of whole) {
        assert.equal(r.offset, expectOffset);
        expectOffset = r.end;
      }
      assert.equal(expectOffset, input.length);
      assert.deepEqual(whole.map((r) => r.line), whole.map((_, i) => i + 1));
      if (whole.length > 0) {
        const k = resumeAt % whole.length;
        const from = whole[k]!;
        const resumed = frame(input.subarray(from.offset), cuts, {}, from.offset, from.line);
        assert.deepEqual(resumed, whole.slice(k));
      }
    },
  ), { numRuns: 400 });
});

// Would have found the spin on a record cut at maxLineBytes + 1 bytes (the framer now throws where it would spin).
test('property: csv framing with any limit gives the same records for any chunking; offsets tile the input, lines add up', () => {
  const csvText = fc.array(fc.constantFrom('a', 'é', '"', '""', ',', '\n', '\r\n', 'xyz'), { maxLength: 30 }).map((xs) => xs.join(''));
  fc.assert(fc.property(csvText, fc.integer({ min: 1, max: 12 }), fc.array(fc.nat({ max: 80 }), { maxLength: 6 }), (text, maxLineBytes, cuts) => {
    const input = Buffer.from(text);
    const options = { framing: 'csv' as const, maxLineBytes };
    const whole = frame(input, [], options);
    assert.deepEqual(frame(input, cuts, options), whole);
    let offset = 0;
    let line = 1;
    for (const r of whole) {
      assert.equal(r.offset, offset);
      assert.equal(r.line, line);
      assert.ok(r.bytes.length <= maxLineBytes);
      offset = r.end;
      line += r.lines;
    }
    assert.equal(offset, input.length);
  }), { numRuns: 1000 });
});

// The file reader's readAhead frames only the records it hands out: a push stopped after some records, then resumed
// where it stopped, frames exactly what one whole push does (CSV quotes and records across chunks included).
test('property: push with a record limit, resumed where it stopped, frames what whole pushes frame', () => {
  fc.assert(fc.property(
    fc.array(fc.constantFrom('a', ',', '"', '\n', '\r', 'é'), { maxLength: 60 }),
    fc.array(fc.nat({ max: 60 }), { maxLength: 4 }),
    fc.integer({ min: 1, max: 4 }),
    fc.constantFrom<LineFramerOptions['framing']>('line', 'csv'),
    (chars, cuts, limit, framing) => {
      const input = Buffer.from(chars.join(''));
      const whole = frame(input, cuts, { framing });
      const f = new LineFramer(0, 1, { framing });
      const out: FramedRecord[] = [];
      let p = 0;
      for (const c of [...cuts.filter((x) => x > 0 && x < input.length)].sort((a, b) => a - b).concat(input.length)) {
        const chunk = input.subarray(p, c);
        p = c;
        for (let at = 0; at < chunk.length;) {
          const stop = f.push(chunk, at, limit);
          assert.ok(stop > at && stop <= chunk.length, `stopped at ${stop}, from ${at}`);
          assert.ok(f.queued <= limit, `${f.queued} records framed, limit ${limit}`);
          at = stop;
          for (let r = f.shift(); r; r = f.shift()) out.push(r);
        }
      }
      f.finish();
      for (let r = f.shift(); r; r = f.shift()) out.push(r);
      assert.deepEqual(out.map((r) => [r.bytes.toString('latin1'), r.offset, r.end, r.line, r.lines, r.tooLong]), whole.map((r) => [r.bytes.toString('latin1'), r.offset, r.end, r.line, r.lines, r.tooLong]));
    },
  ), { numRuns: 300 });
});
