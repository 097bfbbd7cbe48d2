// The LINEAGE mark: checkpoints abandoned by runs that started over. A resume ('latest') never takes one, and a
// damaged mark is an error, never "nothing abandoned".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { abandonAfter, LineageMarkError, publishedGuard, readLineageMark, resumableIds } from '../../../core/checkpoint/lineage-mark.js';

const dir = (): string => mkdtempSync(path.join(tmpdir(), 'sluice-lineage-'));
const file = (d: string): string => path.join(d, 'LINEAGE');

test('no mark: nothing abandoned; each start-over adds the ids after its start, and only when there are some', () => {
  const d = dir();
  assert.deepEqual(readLineageMark(d), { abandoned: [] });
  abandonAfter(d, 7, 7);
  assert.deepEqual(readLineageMark(d), { abandoned: [] }, 'resuming the newest abandons nothing');
  abandonAfter(d, 5, 20);
  abandonAfter(d, 25, 30);
  const l = readLineageMark(d);
  assert.deepEqual(l, { abandoned: [[6, 20], [25 + 1, 30]] });
  assert.deepEqual(resumableIds([31, 30, 26, 25, 21, 20, 6, 5, 1], l), [31, 25, 21, 5, 1]);
});

test('published output of an abandoned checkpoint counts from where the run that abandoned it started', () => {
  const l = { abandoned: [[6, 20]] as [number, number][] };
  assert.equal(publishedGuard(0, l), 0);
  assert.equal(publishedGuard(4, l), 4);
  assert.equal(publishedGuard(6, l), 5);
  assert.equal(publishedGuard(20, l), 5);
  assert.equal(publishedGuard(21, l), 21);
  assert.equal(publishedGuard(3, { abandoned: [[1, 9]] }), 0, 'a fresh start over published output');
  assert.equal(publishedGuard(5, { abandoned: [[4, 5], [1, 6]] }), 0, "a rollback to 3, then a fresh start");
  assert.equal(publishedGuard(9, { abandoned: [[8, 9], [3, 11]] }), 2, "a rollback to 7, then one to 2");
});

test('every single-byte change of a written mark is refused or harmless, never other ranges', () => {
  const d = dir();
  abandonAfter(d, 5, 20);
  abandonAfter(d, 0, 33);
  const good = readFileSync(file(d));
  const want = readLineageMark(d);
  let refused = 0;
  for (let i = 0; i < good.length; i++) {
    for (const x of [0x01, 0x02, 0x10, 0x20]) {
      const b = Buffer.from(good);
      b[i]! ^= x;
      writeFileSync(file(d), b);
      try {
        assert.deepEqual(readLineageMark(d), want, `byte ${i} ^ ${x} read as other ranges`);
      } catch (e) {
        if (!(e instanceof LineageMarkError)) throw e;
        refused++;
      }
    }
  }
  assert.ok(refused > good.length * 3, `most changes are refused (${refused})`);
});

test('arbitrary content is a lineage or a LineageMarkError naming the file', () => {
  const d = dir();
  fc.assert(fc.property(fc.oneof(fc.string(), fc.json()), (text) => {
    writeFileSync(file(d), text);
    try {
      const l = readLineageMark(d);
      assert.ok(l.abandoned.every(([lo, hi]) => Number.isSafeInteger(lo) && lo > 0 && lo <= hi));
    } catch (e) {
      assert.ok(e instanceof LineageMarkError && e.message.includes('LINEAGE'), String(e));
    }
  }));
});
