// The non-blocking file line reader: prefetch, exact resume at a byte offset, follow mode with watch and polling.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendFile, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileLineReader, type FileLineReaderOptions } from '../../../../core/connectors/file/file-line-reader.js';
import { SOURCE_WAIT } from '../../../../core/connectors/source.js';
import { ConnectorOptionError, FileTruncatedError } from '../../../../core/connectors/errors.js';
import { RECORD_OVERHEAD_BYTES, type FramedRecord } from '../../../../core/connectors/formats/line-framer.js';
import { drive } from '../drive.js';

let dir = '';
let n = 0;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-lines-')); });
after(() => rm(dir, { recursive: true, force: true }));

async function file(content: string | Buffer): Promise<string> {
  const path = join(dir, `f${n++}.txt`);
  await writeFile(path, content);
  return path;
}

/** The reader as a Readable of line texts (invalid never fires: the line reader does not decode). */
function lines(reader: FileLineReader) {
  return {
    read: (emit: (v: string) => void, max: number) => reader.read((r: FramedRecord) => emit(r.bytes.toString()), max),
    ready: () => reader.ready(),
  };
}

test('read never blocks: WAIT before the first chunk arrives, then every line, the unterminated last one included, then END', async () => {
  const path = await file('alpha\nbeta\r\ngamma');
  const reader = new FileLineReader(path, { offset: 0, line: 1 }, { chunkBytes: 4 });
  assert.equal(reader.read(() => assert.fail('nothing read yet'), 10), SOURCE_WAIT);
  const d = await drive(lines(reader));
  assert.deepEqual(d.values, ['alpha', 'beta', 'gamma']);
  assert.ok(d.ended);
  assert.ok(d.waits >= 1);
  assert.deepEqual(reader.position, { offset: 17, line: 4 });
  await reader.close();
});

test('prefetch stops at prefetchBytes: a reader nobody reads does not load the whole file', async () => {
  const path = await file('x'.repeat(99) + '\n'.repeat(1) + 'y\n'.repeat(5000));
  const reader = new FileLineReader(path, { offset: 0, line: 1 }, { chunkBytes: 64, prefetchBytes: 256 });
  // Take one line per wake-up until the prefetch has settled with data buffered.
  let got = 0;
  await drive(lines(reader), { max: 1, until: () => got++ > 3 });
  assert.ok(reader.bufferedBytes > 0);
  // One chunk of 64 bytes frames at most 64 records.
  assert.ok(reader.bufferedBytes <= 256 + 64 * (1 + RECORD_OVERHEAD_BYTES), `buffered ${reader.bufferedBytes} bytes, limit 256 + one chunk`);
  await reader.close();
});

// Regression: a blank line counted 0 bytes, so a file of them was framed without limit (3.8 M records
// ahead, ~1 GB of heap, for 16 MiB of line feeds at the default prefetch). With readAhead nothing is framed ahead:
// its unframed bytes count.
for (const readAhead of [false, true]) {
  test(`prefetch holds for blank lines too: each record counts its overhead (readAhead ${readAhead})`, async () => {
    const path = await file(Buffer.alloc(4 << 20, 0x0a));
    const reader = new FileLineReader(path, { offset: 0, line: 1 }, { chunkBytes: 4096, prefetchBytes: 64 * 1024, readAhead });
    let got = 0;
    await drive(lines(reader), { max: 1, until: () => got++ > 3 });
    const bound = (64 * 1024) / RECORD_OVERHEAD_BYTES + 4096;
    // Never over the bound: once reading ahead has stopped (an unbounded reader reads on to the end instead, and is
    // never held), nothing more is read until records are taken.
    for (const deadline = performance.now() + 30_000; !reader.heldAtLimit;) {
      assert.ok(reader.bufferedRecords <= bound, `${reader.bufferedRecords} records read ahead`);
      assert.ok(reader.bufferedBytes <= 64 * 1024 + 4096 * (1 + RECORD_OVERHEAD_BYTES), `${reader.bufferedBytes} bytes read ahead`);
      assert.ok(performance.now() < deadline, `reading ahead never stopped (${reader.bufferedRecords} records read ahead)`);
      await new Promise((r) => setImmediate(r));
    }
    if (readAhead) assert.ok(reader.bufferedRecords === 0 && reader.bufferedBytes >= 64 * 1024 - 4096 && reader.bufferedBytes <= 64 * 1024 + 4096, `${reader.bufferedRecords} records framed ahead, ${reader.bufferedBytes} bytes read ahead`);
    else assert.ok(reader.bufferedRecords > 0 && reader.bufferedRecords <= bound, `${reader.bufferedRecords} records read ahead`);
    await reader.close();
  });
}

// Regression: one read at a time, each chunk framed whole as it came back, made every chunk a park and a wake-up of
// the source's thread (it sat idle 40-50% of a file-only job). readAhead keeps reads in flight while it parses.
for (const readAhead of [false, true]) {
  test(`readAhead ${readAhead}: ${readAhead ? 'several reads in flight, up to the prefetch limit' : 'one read at a time'}; every line, in order, at its offset`, async () => {
    const text = Array.from({ length: 5000 }, (_, i) => `{"i":${i}}\n`).join('');
    const path = await file(text);
    const reader = new FileLineReader(path, { offset: 0, line: 1 }, { chunkBytes: 1024, prefetchBytes: 8 * 1024, readAhead });
    assert.equal(reader.readsInFlight, readAhead ? 8 : 1);
    const offsets: number[] = [];
    const got: string[] = [];
    const d = await drive({
      read: (emit: (v: string) => void, max: number) => reader.read((r) => { offsets.push(r.offset); emit(r.bytes.toString()); }, max),
      ready: () => reader.ready(),
    });
    got.push(...d.values);
    assert.ok(d.ended);
    assert.deepEqual(got, text.split('\n').slice(0, -1));
    let at = 0;
    for (let i = 0; i < got.length; i++) { assert.equal(offsets[i], at); at += got[i]!.length + 1; }
    assert.deepEqual(reader.position, { offset: text.length, line: 5001 });
    await reader.close();
  });
}

test('property: stopping anywhere and resuming at the recorded position neither skips nor repeats a line', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '😀', ' ', '\r'), maxLength: 12 }), { minLength: 1, maxLength: 30 }),
    fc.boolean(),
    fc.integer({ min: 1, max: 40 }),
    fc.nat({ max: 40 }),
    fc.integer({ min: 1, max: 5 }),
    fc.boolean(),
    fc.integer({ min: 1, max: 8 }),
    async (ls, trailing, chunkBytes, stopAfter, max, readAhead, prefetchChunks) => {
      const text = ls.join('\n') + (trailing ? '\n' : '');
      const path = await file(text);
      const opts: FileLineReaderOptions = { chunkBytes, prefetchBytes: chunkBytes * prefetchChunks, readAhead };
      const whole = await drive(lines(new FileLineReader(path, { offset: 0, line: 1 }, opts)));
      const first = new FileLineReader(path, { offset: 0, line: 1 }, opts);
      const part = await drive(lines(first), { max, until: (d) => d.values.length >= stopAfter });
      const resumed = new FileLineReader(path, first.position, opts);
      const rest = await drive(lines(resumed));
      await first.close();
      await resumed.close();
      assert.deepEqual([...part.values, ...rest.values], whole.values);
      assert.deepEqual(resumed.position, { offset: Buffer.byteLength(text), line: whole.values.length + 1 });
    },
  ), { numRuns: 100 });
});

// Following, the same while the file grows (its second half appended once the first reader has read up to the first
// half or its stop), readAhead switched either way across the stop: bytes read ahead, framed or not, and a partial
// last line are never in the position.
test('property (following): stopping anywhere in a growing file and resuming at the recorded position neither skips nor repeats a line', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '😀', ' ', '\r'), maxLength: 12 }), { minLength: 2, maxLength: 30 }),
    fc.integer({ min: 1, max: 40 }),
    fc.nat({ max: 40 }),
    fc.integer({ min: 1, max: 5 }),
    fc.boolean(),
    fc.boolean(),
    fc.integer({ min: 1, max: 8 }),
    async (ls, chunkBytes, stopAfter, max, readAhead, readAheadAfter, prefetchChunks) => {
      const half = Math.ceil(ls.length / 2);
      const path = await file(ls.slice(0, half).map((l) => `${l}\n`).join(''));
      const opts = (on: boolean): FileLineReaderOptions => ({ chunkBytes, prefetchBytes: chunkBytes * prefetchChunks, readAhead: on, follow: { watch: false, pollIntervalMs: 5 } });
      const stop = Math.min(stopAfter, ls.length);
      const first = new FileLineReader(path, { offset: 0, line: 1 }, opts(readAhead));
      const part = await drive(lines(first), { max, until: (d) => d.values.length >= Math.min(stop, half) });
      await appendFile(path, ls.slice(half).map((l) => `${l}\n`).join(''));
      await drive(lines(first), { into: part, max, until: (d) => d.values.length >= stop });
      const resumed = new FileLineReader(path, first.position, opts(readAheadAfter));
      await first.close();
      // Up to the end's position, not a count of lines: a resume past a line would wait for it for ever.
      const bytes = Buffer.byteLength(ls.map((l) => `${l}\n`).join(''));
      const rest = await drive(lines(resumed), { until: () => resumed.position.offset >= bytes });
      const bounded = new FileLineReader(path, { offset: 0, line: 1 });
      const whole = await drive(lines(bounded));
      await bounded.close();
      assert.equal(whole.values.length, ls.length);
      assert.deepEqual([...part.values, ...rest.values], whole.values);
      assert.equal(rest.ended, false);
      assert.deepEqual(resumed.position, { offset: bytes, line: ls.length + 1 });
      await resumed.close();
    },
  ), { numRuns: 40 });
});

for (const [watch, readAhead] of [[true, true], [true, false], [false, true], [false, false]] as const) {
  test(`follow (${watch ? 'fs.watch' : 'polling'}, readAhead ${readAhead}): appended lines arrive; a partial last line waits for its LF and is not in the position`, async () => {
    const path = await file('one\n');
    const reader = new FileLineReader(path, { offset: 0, line: 1 }, { follow: { watch, pollIntervalMs: 20 }, chunkBytes: 16, readAhead });
    const got = lines(reader);
    const d = await drive(got, { until: (x) => x.values.length === 1 });
    assert.deepEqual(d.values, ['one']);
    await appendFile(path, 'two\nthr');
    await drive(got, { into: d, until: (x) => x.values.length === 2 && reader.partialBytes === 3 });
    assert.deepEqual(d.values, ['one', 'two'], 'the partial line is held back');
    assert.equal(reader.following, watch ? 'watch' : 'poll');
    assert.deepEqual(reader.position, { offset: 8, line: 3 });
    assert.equal(reader.read(() => assert.fail('partial line emitted'), 10), SOURCE_WAIT);
    await appendFile(path, 'ee\n');
    await drive(got, { into: d, until: (x) => x.values.length === 3 });
    assert.deepEqual(d.values, ['one', 'two', 'three']);
    assert.equal(d.ended, false);
    assert.deepEqual(reader.position, { offset: 14, line: 4 });
    await reader.close();
  });
}

for (const readAhead of [true, false]) {
  test(`follow (readAhead ${readAhead}): a file truncated below the read position is a FileTruncatedError`, async () => {
    const path = await file('a\nb\n');
    const reader = new FileLineReader(path, { offset: 0, line: 1 }, { follow: { watch: false, pollIntervalMs: 10 }, readAhead });
    await drive(lines(reader), { until: (x) => x.values.length === 2 });
    await truncate(path, 1);
    await assert.rejects(drive(lines(reader)), (e: unknown) => e instanceof FileTruncatedError && /shrank to 1 bytes, below the read position 4/.test(e.message));
    await reader.close();
  });

  // Regression: truncated and written again past the read position in one go, the file never shrank, and
  // the reader went on mid-line (malformed JSON; with 'drop', a silent gap).
  test(`follow (readAhead ${readAhead}): a file rewritten past the read position (truncated, then longer) is a FileTruncatedError; appends still pass`, async () => {
    const first = Array.from({ length: 20 }, (_, i) => `{"i":${i}}\n`).join('');
    const path = await file(first);
    const reader = new FileLineReader(path, { offset: 0, line: 1 }, { follow: { watch: false, pollIntervalMs: 10 }, chunkBytes: 64, readAhead });
    const d = await drive(lines(reader), { until: (x) => x.values.length === 20 });
    await appendFile(path, '{"i":20}\n');
    await drive(lines(reader), { into: d, until: (x) => x.values.length === 21 });
    // Written over from byte 0 and past the end, never shorter (a truncate then a write can be seen in between).
    const over = Buffer.from(Array.from({ length: 40 }, (_, i) => `{"j":${i}}\n`).join(''));
    const h = await open(path, 'r+');
    await h.write(over, 0, over.length, 0);
    await h.close();
    await assert.rejects(drive(lines(reader), { into: d }), (e: unknown) => e instanceof FileTruncatedError && /was rewritten: the bytes just before the read position 179 are not the ones read/.test(e.message));
    assert.equal(d.values.length, 21, 'nothing of the new content read');
    await reader.close();
  });
}

// Regression: a bounded file restored at a position beyond its current size (it shrank, or was replaced
// by a shorter one, after the checkpoint) ended at once, silently skipping what is there now.
test('bounded: a file shorter than the position it resumes at is a FileTruncatedError, not an end', async () => {
  const path = await file('a\n');
  const reader = new FileLineReader(path, { offset: 4, line: 3 });
  await assert.rejects(drive(lines(reader)), (e: unknown) => e instanceof FileTruncatedError && /shrank to 2 bytes, below the read position 4/.test(e.message));
  await reader.close();
});

// Regression: cut short while it was read, above the read position, a file just ended early: every line past the
// cut was lost without an error (cut at a line end, not even a bad record).
test('bounded: a file that shrinks while it is read, above the read position, is a FileTruncatedError, not an early end', async () => {
  const all = Array.from({ length: 200 }, (_, i) => `{"i":${i}}\n`).join('');
  const path = await file(all);
  const reader = new FileLineReader(path, { offset: 0, line: 1 }, { chunkBytes: 64, prefetchBytes: 64 });
  const d = await drive(lines(reader), { max: 1, until: (x) => x.values.length === 5 });
  const cut = all.indexOf('{"i":100}');
  assert.ok(reader.position.offset + 256 < cut, 'the reader is well before the cut');
  await truncate(path, cut);
  await assert.rejects(drive(lines(reader), { into: d }), (e: unknown) => e instanceof FileTruncatedError && new RegExp(`shrank from ${all.length} to ${cut} bytes while it was read`).test(e.message));
  assert.ok(!d.ended && d.values.length <= 100, 'the lines before the cut, and no end as if the file were whole');
  await reader.close();
});

test('a missing file fails the read with the file system error naming the path', async () => {
  const reader = new FileLineReader(join(dir, 'missing.txt'), { offset: 0, line: 1 });
  await assert.rejects(drive(lines(reader)), (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT' && /missing\.txt/.test(String(e)));
  await reader.close();
});

test('readAhead must be a boolean: anything else is a ConnectorOptionError, not a truthy switch', () => {
  assert.throws(() => new FileLineReader(join(dir, 'never-opened.txt'), { offset: 0, line: 1 }, { readAhead: 'false' as unknown as boolean }), (e: unknown) => e instanceof ConnectorOptionError && /readAhead must be true or false, got the string "false"/.test(e.message));
});

// Following, every file of a pattern stays open with its own read-ahead: 4 chunks ahead (so 4 reads in flight), as
// without readAhead, not its 8 (a thousand followed files would hold twice the memory). Each way: on, and off (one read).
for (const [follow, readAhead] of [[false, true], [true, true], [false, false], [true, false]] as const) {
  const inFlight = readAhead ? (follow ? 4 : 8) : 1;
  test(`readAhead ${readAhead}, ${follow ? 'following' : 'bounded'}: ${inFlight} read${inFlight > 1 ? 's' : ''} in flight, ${follow || !readAhead ? 4 : 8} chunks ahead`, async () => {
    const path = await file(Buffer.from(Array.from({ length: 4000 }, (_, i) => `${String(i).padStart(15, '0')}\n`).join('')));
    const reader = new FileLineReader(path, { offset: 0, line: 1 }, { chunkBytes: 1024, readAhead, ...(follow ? { follow: { watch: false, pollIntervalMs: 10 } } : {}) });
    assert.equal(reader.readsInFlight, inFlight);
    await drive(lines(reader), { max: 1, until: (d) => d.values.length === 1 });
    for (const deadline = performance.now() + 30_000; !reader.heldAtLimit;) {
      assert.ok(reader.readsInFlight <= inFlight, `${reader.readsInFlight} reads in flight`);
      assert.ok(performance.now() < deadline, `reading ahead never stopped (${reader.bufferedBytes} bytes read ahead)`);
      await new Promise((r) => setImmediate(r));
    }
    const chunks = follow || !readAhead ? 4 : 8;
    assert.ok(reader.bufferedBytes >= (chunks - 1) * 1024 && reader.bufferedBytes <= (chunks + 1) * 1024 * (1 + RECORD_OVERHEAD_BYTES / 16), `${reader.bufferedBytes} bytes read ahead, expected about ${chunks} chunks`);
    await reader.close();
  });
}
