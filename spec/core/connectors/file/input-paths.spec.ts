// Input paths: files, directories and glob patterns become a sorted list of files; nothing matched is an error.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandInputPaths } from '../../../../core/connectors/file/input-paths.js';
import { enumerateFileSplits, checkFileSplit } from '../../../../core/connectors/file/file-split.js';
import { ConnectorOptionError, NoInputFilesError } from '../../../../core/connectors/errors.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-paths-'));
  await mkdir(join(dir, 'in', 'sub'), { recursive: true });
  for (const f of ['in/b.jsonl', 'in/a.jsonl', 'in/sub/c.csv', 'in/.hidden', 'in/x[1].txt']) await writeFile(join(dir, f), 'x\n');
});
after(() => rm(dir, { recursive: true, force: true }));

test('a directory expands to its non-hidden files, recursively and sorted', async () => {
  assert.deepEqual(await expandInputPaths(join(dir, 'in')), ['in/a.jsonl', 'in/b.jsonl', 'in/sub/c.csv', 'in/x[1].txt'].map((f) => join(dir, f)));
});

test('glob patterns relative to cwd, duplicates merged; a literal path with glob characters is taken as it is', async () => {
  const files = await expandInputPaths(['in/*.jsonl', 'in/**/*.csv', 'in/a.jsonl', 'in/x[1].txt'], { cwd: dir });
  assert.deepEqual(files, ['in/a.jsonl', 'in/b.jsonl', 'in/sub/c.csv', 'in/x[1].txt'].map((f) => join(dir, f)));
});

// Regression: a link back up the tree, or an alias, made a file two splits, its records read twice.
test('a file reached by several paths (a loop back up, an alias link, a linked directory) is read once, by its first path', async () => {
  const d = join(dir, 'links');
  await mkdir(join(d, 'sub'), { recursive: true });
  await writeFile(join(d, 'a.jsonl'), 'x\n');
  await symlink('..', join(d, 'sub', 'loop'));
  await symlink('a.jsonl', join(d, 'alias.jsonl'));
  await symlink(join(dir, 'in', 'sub'), join(d, 'linked'));
  // in/sub/c.csv sorts before links/linked/c.csv: the first path in sorted order is the one read.
  assert.deepEqual(await expandInputPaths([d, join(dir, 'in', 'sub', 'c.csv')]), [join(dir, 'in', 'sub', 'c.csv'), join(d, 'a.jsonl')]);
});

test('nothing matched is a NoInputFilesError naming the path or pattern', async () => {
  await assert.rejects(expandInputPaths(join(dir, 'nope.jsonl')), (e: unknown) => e instanceof NoInputFilesError && /nope\.jsonl does not exist/.test(e.message));
  await assert.rejects(expandInputPaths('in/*.parquet', { cwd: dir }), (e: unknown) => e instanceof NoInputFilesError && /"in\/\*\.parquet" matches no file/.test(e.message));
  await mkdir(join(dir, 'empty'));
  await assert.rejects(expandInputPaths(join(dir, 'empty')), /holds no \(non-hidden\) files/);
  await assert.rejects(expandInputPaths([]), ConnectorOptionError);
});

test('one split per file, at its start; a restored split of the wrong shape is rejected', async () => {
  const splits = await enumerateFileSplits('in/*.jsonl', { cwd: dir });
  assert.deepEqual(splits, [
    { id: join(dir, 'in/a.jsonl'), position: { offset: 0, line: 1 } },
    { id: join(dir, 'in/b.jsonl'), position: { offset: 0, line: 1 } },
  ]);
  assert.deepEqual(checkFileSplit({ id: '/f', position: { offset: 10, line: 3 } }), { id: '/f', position: { offset: 10, line: 3 } });
  assert.throws(() => checkFileSplit({ id: '/f', position: { offset: -1, line: 1 } }), ConnectorOptionError);
  assert.throws(() => checkFileSplit({ id: '/f', position: 12 }), ConnectorOptionError);
});
