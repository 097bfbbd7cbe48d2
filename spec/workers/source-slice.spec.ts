import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIRST_READ, SourceSlice, SOURCE_SLICE_MS } from '../../workers/source-slice.js';

test('a source slice starts at FIRST_READ records, doubles while reads are cheap, and never asks beyond the budget', () => {
  const s = new SourceSlice();
  const asked: number[] = [];
  for (let k = 0; k < 6; k++) {
    const a = s.next(1024);
    asked.push(a);
    s.took(a, a, 0.1);
  }
  assert.deepEqual(asked, [FIRST_READ, 128, 256, 512, 1024, 1024]);
});

test('a slow read shrinks the next one to about the slice; a paced source that gives fewer than asked still grows', () => {
  const s = new SourceSlice();
  for (let k = 0; k < 11; k++) s.took(s.next(1024), s.next(1024), 0.1);
  s.took(1024, 1024, 1024 * 2); // 2 ms a record
  assert.equal(s.next(1024), Math.floor(SOURCE_SLICE_MS / 2));
  const paced = new SourceSlice();
  for (let k = 0; k < 11; k++) paced.took(paced.next(1024), 1, 0.1);
  assert.equal(paced.next(1024), 1024);
});
