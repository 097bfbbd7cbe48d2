// The LINEAGE mark: where runs started over. A resume ('latest') takes only checkpoints of the current lineage:
// the last start's own, its base, and the base's ancestors. A damaged mark is an error, never "nothing abandoned".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { inLineage, lineageMaxId, LineageMarkError, readLineageMark, recordStart, resumableIds, type Lineage } from '../../../core/checkpoint/lineage-mark.js';

const dir = (): string => mkdtempSync(path.join(tmpdir(), 'sluice-lineage-'));
const file = (d: string): string => path.join(d, 'LINEAGE');
const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, i) => hi - i);

test('no mark: one lineage; a start writes one only where it branches off', () => {
  const d = dir();
  assert.deepEqual(readLineageMark(d), { starts: [] });
  assert.deepEqual(recordStart(d, [], 0, 1), { starts: [] }, 'a first run over nothing branches off nothing');
  assert.deepEqual(recordStart(d, range(1, 6), 6, 7), { starts: [] }, 'a resume of the newest goes on in a line');
  const l = recordStart(d, range(1, 6), 2, 7);
  assert.deepEqual(l, { starts: [{ base: 2, first: 7 }] });
  assert.deepEqual(readLineageMark(d), l);
  assert.equal(lineageMaxId(l), 6);
  assert.deepEqual(recordStart(d, range(1, 6), 2, 7), l, 'resuming where the lineage stands again writes nothing');
});

test('the current lineage: the last start\'s own ids, its base, and the base\'s ancestors', () => {
  // Run A: 1..6. Rolled back to 2: 7, 8. Rolled back to 7: 9, 10. Started fresh: 11. Rolled back to 4: 12.
  const starts = [{ base: 2, first: 7 }, { base: 7, first: 9 }, { base: 0, first: 11 }, { base: 4, first: 12 }];
  const at = (n: number): Lineage => ({ starts: starts.slice(0, n) });
  const all = range(1, 12);
  assert.deepEqual(resumableIds(all, at(0)), all);
  assert.deepEqual(resumableIds(all, at(1)), [12, 11, 10, 9, 8, 7, 2, 1]);
  assert.deepEqual(resumableIds(all, at(2)), [12, 11, 10, 9, 7, 2, 1]);
  assert.deepEqual(resumableIds(all, at(3)), [12, 11]);
  // A rollback to a checkpoint an earlier start abandoned takes that checkpoint's own ancestors (regression: the
  // abandoned set only grew, and 4 stayed abandoned).
  assert.deepEqual(resumableIds(all, at(4)), [12, 4, 3, 2, 1]);
  // Two starts with no checkpoint between them: the second's base is read in the first's ancestors.
  assert.deepEqual(resumableIds(range(1, 6), { starts: [{ base: 2, first: 7 }, { base: 4, first: 7 }] }), [4, 3, 2, 1]);
  // A replaced (damaged) mark: the lineage ends at its base.
  assert.deepEqual(resumableIds(all, { starts: [{ base: 5, first: 13, root: true }] }), [5]);
  // ... and a later rollback below it knows no more of the past than its own base.
  assert.deepEqual(resumableIds(range(1, 9), { starts: [{ base: 6, first: 8, root: true }, { base: 5, first: 9 }] }), [9, 5]);
  assert.ok(!inLineage({ starts: [{ base: 0, first: 7 }] }, 3));
});

test('every single-byte change of a written mark is refused or harmless, never other starts', () => {
  const d = dir();
  recordStart(d, range(1, 6), 2, 7);
  recordStart(d, range(1, 8), 0, 9);
  const good = readFileSync(file(d));
  const want = readLineageMark(d);
  let refused = 0;
  for (let i = 0; i < good.length; i++) {
    for (const x of [0x01, 0x02, 0x10, 0x20]) {
      const b = Buffer.from(good);
      b[i]! ^= x;
      writeFileSync(file(d), b);
      try {
        assert.deepEqual(readLineageMark(d), want, `byte ${i} ^ ${x} read as other starts`);
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
      assert.ok(l.starts.every((s) => Number.isSafeInteger(s.base) && s.base < s.first));
    } catch (e) {
      assert.ok(e instanceof LineageMarkError && e.message.includes('LINEAGE'), String(e));
    }
  }));
});

test('a damaged mark is replaced by a start whose lineage ends at its base', () => {
  const d = dir();
  writeFileSync(file(d), 'garbage');
  assert.throws(() => readLineageMark(d), LineageMarkError);
  assert.deepEqual(recordStart(d, range(1, 6), 3, 7, () => {}), { starts: [{ base: 3, first: 7, root: true }] });
  assert.deepEqual(readLineageMark(d), { starts: [{ base: 3, first: 7, root: true }] });
});
