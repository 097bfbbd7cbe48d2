// The small JSON files beside the store (PUBLISHED, LINEAGE): a missing file is "no mark", every other problem goes
// to the caller's `fail` (which throws its own typed error), and a write replaces the file whole or not at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonFile, writeFileDurably } from '../../../core/checkpoint/durable-file.js';

class MarkError extends Error {}
const fail = (problem: string): never => { throw new MarkError(problem); };

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-durable-'));
  try { fn(dir); } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('a missing file reads as undefined, without calling fail', () => {
  withDir((dir) => {
    assert.equal(readJsonFile(join(dir, 'MARK'), () => assert.fail('fail called')), undefined);
  });
});

test('a JSON object reads back as it was written', () => {
  withDir((dir) => {
    const file = join(dir, 'MARK');
    writeFileSync(file, '{"checkpointId":17,"nested":{"a":[1,2]}}');
    assert.deepEqual(readJsonFile(file, fail), { checkpointId: 17, nested: { a: [1, 2] } });
  });
});

test('text that is not JSON, or JSON that is not an object, goes to fail with what is wrong', () => {
  withDir((dir) => {
    const file = join(dir, 'MARK');
    for (const [text, problem] of [
      ['', 'not JSON'], ['{"checkpointId":', 'not JSON'], ['\u0000\u0000', 'not JSON'],
      ['null', 'not an object'], ['17', 'not an object'], ['"17"', 'not an object'], ['true', 'not an object'],
    ]) {
      writeFileSync(file, text!);
      assert.throws(() => readJsonFile(file, fail), (e: Error) => e instanceof MarkError && e.message === problem, JSON.stringify(text));
    }
  });
});

test('a JSON array is not an object either', () => {
  // typeof [] is 'object': an array must not come back typed as a record of fields.
  withDir((dir) => {
    const file = join(dir, 'MARK');
    for (const text of ['[]', '[{"checkpointId":17}]']) {
      writeFileSync(file, text);
      assert.throws(() => readJsonFile(file, fail), (e: Error) => e instanceof MarkError && e.message === 'not an object', text);
    }
  });
});

test('a file that exists but cannot be read goes to fail (not "no file"), naming the cause', () => {
  withDir((dir) => {
    // A directory where the file should be: EISDIR, not ENOENT.
    const file = join(dir, 'MARK');
    mkdirSync(file);
    assert.throws(() => readJsonFile(file, fail), (e: Error) => e instanceof MarkError && /^cannot be read: .*EISDIR/.test(e.message));
  });
});

test('writeFileDurably writes the text, replaces an older file whole and leaves no temporary file', () => {
  withDir((dir) => {
    const file = join(dir, 'MARK');
    writeFileDurably(file, dir, '{"checkpointId":1,"padding":"a much longer older text than the next one"}');
    assert.equal(readFileSync(file, 'utf8'), '{"checkpointId":1,"padding":"a much longer older text than the next one"}');
    writeFileDurably(file, dir, '{"checkpointId":2}');
    // Replaced, not overwritten in place: nothing of the longer older text is left behind its end.
    assert.equal(readFileSync(file, 'utf8'), '{"checkpointId":2}');
    assert.deepEqual(readJsonFile(file, fail), { checkpointId: 2 });
    assert.deepEqual(readdirSync(dir), ['MARK']);
  });
});

test('a temporary file a crashed write left behind does not matter: the next write replaces it', () => {
  withDir((dir) => {
    const file = join(dir, 'MARK');
    writeFileSync(`${file}.tmp`, '{"torn":');
    assert.equal(readJsonFile(file, fail), undefined, 'the temporary file is not the file');
    writeFileDurably(file, dir, '{"checkpointId":3}');
    assert.deepEqual(readJsonFile(file, fail), { checkpointId: 3 });
    assert.deepEqual(readdirSync(dir), ['MARK']);
  });
});

test('a write that fails leaves the old file as it was', () => {
  withDir((dir) => {
    const file = join(dir, 'MARK');
    writeFileDurably(file, dir, '{"checkpointId":4}');
    // The temporary file cannot be created (a directory is in its place).
    mkdirSync(`${file}.tmp`);
    assert.throws(() => writeFileDurably(file, dir, '{"checkpointId":5}'), /EISDIR/);
    assert.equal(readFileSync(file, 'utf8'), '{"checkpointId":4}');
  });
});

test('a missing directory is an error, not a silent no-op', () => {
  withDir((dir) => {
    const missing = join(dir, 'gone');
    assert.throws(() => writeFileDurably(join(missing, 'MARK'), missing, '{}'), /ENOENT/);
  });
});
