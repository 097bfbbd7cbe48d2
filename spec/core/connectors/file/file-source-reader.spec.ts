// A file source subtask's reader: several splits, decoded records, bad records with file:line, snapshots that
// resume exactly, CSV headers on resume, and follow mode over several growing files.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSourceReader } from '../../../../core/connectors/file/file-source-reader.js';
import { checkFileSplit, enumerateFileSplits } from '../../../../core/connectors/file/file-split.js';
import { jsonLines } from '../../../../core/connectors/formats/jsonl.js';
import { csv } from '../../../../core/connectors/formats/csv.js';
import { CsvHeaderError, MalformedJsonError } from '../../../../core/connectors/errors.js';
import type { SourceSplit } from '../../../../core/connectors/source.js';
import { drive } from '../drive.js';

let dir = '';
let n = 0;
before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-files-')); });
after(() => rm(dir, { recursive: true, force: true }));

async function files(contents: (string | Buffer)[]): Promise<string[]> {
  const sub = join(dir, `set${n++}`);
  const paths: string[] = [];
  for (let i = 0; i < contents.length; i++) paths.push(join(sub, `part-${String(i).padStart(3, '0')}.txt`));
  await import('node:fs/promises').then((fs) => fs.mkdir(sub));
  for (let i = 0; i < contents.length; i++) await writeFile(paths[i]!, contents[i]!);
  return paths;
}

/** The file at `path` as a split records it once its reader opened it (device and inode). */
async function identity(path: string): Promise<{ dev: string; ino: string }> {
  const s = await stat(path, { bigint: true });
  return { dev: s.dev.toString(), ino: s.ino.toString() };
}

/** The snapshot row of the split of the file at `path` once opened: its id is its path, then its file. */
async function row(path: string, offset: number, line: number): Promise<SourceSplit> {
  const id = await identity(path);
  return { id: `${path}@${id.dev}:${id.ino}`, position: { offset, line, ...id } };
}

test('bounded: files in split order, bad lines reported with file:line, finished splits leave the snapshot', async () => {
  const [a, b] = await files(['{"i":1}\n{"i":2}\n', '{"i":3}\n{oops\n{"i":4}']);
  const splits = await enumerateFileSplits([a!, b!]);
  const reader = new FileSourceReader(splits, jsonLines<{ i: number }>(), { chunkBytes: 5 });
  const d = await drive(reader, { until: (x) => x.values.length === 2 });
  assert.deepEqual(reader.snapshot(1).map((s) => checkFileSplit(s).id), [a, b], 'a is done but not yet known to be');
  // One record a read: with more read ahead, a read of more would also take the bad line after it.
  await drive(reader, { into: d, max: 1, until: (x) => x.values.length === 3 });
  assert.deepEqual(reader.snapshot(1), [await row(b!, 8, 2)]);
  const rest = await drive(reader, { into: d });
  assert.ok(rest.ended);
  assert.deepEqual(rest.values.map((v) => v.i), [1, 2, 3, 4]);
  assert.equal(rest.bad.length, 1);
  assert.ok(rest.bad[0]!.error instanceof MalformedJsonError);
  assert.equal(rest.bad[0]!.position, `${b}:2`);
  assert.equal(rest.bad[0]!.raw, '{oops');
  assert.deepEqual(reader.snapshot(1), []);
  await reader.close();
});

test('CSV with a header: a split restored past the header still names its columns', async () => {
  const [f] = await files(['id,name\n1,"a\nb"\n2,c\n3,d\n']);
  const format = csv({ header: true });
  const first = new FileSourceReader(await enumerateFileSplits(f!), format);
  const part = await drive(first, { max: 1, until: (x) => x.values.length === 2 });
  assert.deepEqual(part.values, [{ id: '1', name: 'a\nb' }, { id: '2', name: 'c' }]);
  const snap = first.snapshot(1);
  assert.deepEqual(snap, [await row(f!, 20, 5)]);
  await first.close();
  const resumed = new FileSourceReader(structuredClone(snap) as SourceSplit[], format);
  const rest = await drive(resumed);
  assert.deepEqual(rest.values, [{ id: '3', name: 'd' }]);
  await resumed.close();
});

test('CSV restored at a position with no header row before it fails with CsvHeaderError', async () => {
  const [f] = await files(['\n\n\nid\n1\n']);
  const reader = new FileSourceReader([{ id: f!, position: { offset: 2, line: 3 } }], csv({ header: true }));
  await assert.rejects(drive(reader), CsvHeaderError);
  await reader.close();
});

test('property: snapshot at any point, restore in a new reader: values and bad records exactly once', async () => {
  const line = fc.oneof(
    fc.integer().map((i) => JSON.stringify({ i })),
    fc.constantFrom('{bad', '', '"\u00e9"', '[1,'),
  );
  await fc.assert(fc.asyncProperty(
    fc.array(fc.array(line, { maxLength: 12 }), { minLength: 1, maxLength: 4 }),
    fc.integer({ min: 1, max: 30 }),
    fc.integer({ min: 1, max: 4 }),
    fc.nat({ max: 50 }),
    fc.boolean(),
    fc.boolean(),
    async (contents, chunkBytes, max, stopAfter, readAhead, readAheadAfter) => {
      const paths = await files(contents.map((ls) => ls.join('\n')));
      const splits = await enumerateFileSplits(paths);
      // Snapshots are the same either way: a restore may switch readAhead.
      const opts = { chunkBytes, readAhead };
      const key = (d: { values: unknown[]; bad: { position: string }[] }) => [JSON.stringify(d.values), d.bad.map((b) => b.position)];
      const whole = await drive(new FileSourceReader(structuredClone(splits), jsonLines(), opts));
      const first = new FileSourceReader(structuredClone(splits), jsonLines(), opts);
      const part = await drive(first, { max, until: (x) => x.values.length + x.bad.length >= stopAfter });
      const snap = structuredClone(first.snapshot(1));
      await first.close();
      const second = new FileSourceReader(snap, jsonLines(), { chunkBytes, readAhead: readAheadAfter });
      const rest = await drive(second);
      await second.close();
      assert.deepEqual(key({ values: [...part.values, ...rest.values], bad: [...part.bad, ...rest.bad] }), key(whole));
    },
  ), { numRuns: 60 });
});

test('follow: several growing files are read round-robin; none ends', async () => {
  const [a, b] = await files(['a1\n', '']);
  const reader = new FileSourceReader(await enumerateFileSplits([a!, b!]), csv({ columns: ['v'] }), { follow: { watch: true } });
  const d = await drive(reader, { until: (x) => x.values.length === 1 });
  await appendFile(b!, 'b1\nb2\n');
  await drive(reader, { into: d, until: (x) => x.values.length === 3 });
  await appendFile(a!, 'a2\n');
  await drive(reader, { into: d, until: (x) => x.values.length === 4 });
  assert.deepEqual(d.values.map((r) => r.v), ['a1', 'b1', 'b2', 'a2']);
  assert.equal(d.ended, false);
  assert.deepEqual(reader.snapshot(1), [await row(a!, 6, 3), await row(b!, 6, 3)]);
  await reader.close();
});

test('trackSplits: a file is added when opened, switched to before each read of it, ended at its end', async () => {
  const [a, b] = await files([Array.from({ length: 30 }, (_, i) => `{"f":"a","i":${i}}\n`).join(''), Array.from({ length: 30 }, (_, i) => `{"f":"b","i":${i}}\n`).join('')]);
  const reader = new FileSourceReader(await enumerateFileSplits([a!, b!]), jsonLines<{ f: string; i: number }>(), { chunkBytes: 64 });
  const events: string[] = [];
  let current = '';
  reader.trackSplits({ add: (id) => events.push(`add ${id}`), switchTo: (id) => { current = id; }, end: (id) => events.push(`end ${id}`) });
  const wrong: string[] = [];
  const tracked = { read: (emit: (v: { f: string; i: number }) => void, max: number, invalid: Parameters<typeof reader.read>[2]) => reader.read((v) => { if (current !== (v.f === 'a' ? a : b)) wrong.push(`${v.f}${v.i} under ${current}`); emit(v); }, max, invalid), ready: () => reader.ready() };
  try {
    const d = await drive(tracked, { max: 7 });
    assert.ok(d.ended);
    assert.equal(d.values.length, 60);
    assert.deepEqual(wrong.slice(0, 3), []);
    assert.deepEqual(events, [`add ${a}`, `end ${a}`, `add ${b}`, `end ${b}`], 'bounded: one file open at a time');
  } finally {
    await reader.close();
  }
});
