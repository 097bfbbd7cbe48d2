// Noticing a followed file's growth, or its deletion: through fs.watch, and by polling when fs.watch cannot watch the
// path.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, open, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileGrowth } from '../../../../core/connectors/file/file-growth.js';
import { ConnectorOptionError } from '../../../../core/connectors/errors.js';

let dir = '';
before(async () => { dir = await mkdtemp(join(tmpdir(), 'sluice-growth-')); });
after(() => rm(dir, { recursive: true, force: true }));

test('fs.watch: an append resolves the wait with the new size', async () => {
  const path = join(dir, 'w.txt');
  await writeFile(path, 'ab');
  const growth = new FileGrowth(path, async () => ({ size: (await stat(path)).size, linked: true }), { pollIntervalMs: 10, safetyPollMs: 60_000 });
  const waiting = growth.changedFrom(2);
  assert.equal(growth.watching, true);
  await appendFile(path, 'cd');
  assert.equal((await waiting).size, 4);
  growth.close();
});

test('when fs.watch cannot watch (here: the watched path is gone), polling takes over', async () => {
  const path = join(dir, 'data.txt');
  await writeFile(path, 'x');
  // Sizes come from the file being read; the watched path no longer exists, so fs.watch throws.
  const growth = new FileGrowth(join(dir, 'renamed-away.txt'), async () => ({ size: (await stat(path)).size, linked: true }), { pollIntervalMs: 10 });
  const waiting = growth.changedFrom(1);
  assert.equal(growth.watching, false);
  await appendFile(path, 'yz');
  assert.equal((await waiting).size, 3);
  growth.close();
  assert.throws(() => new FileGrowth(path, async () => ({ size: 0, linked: true }), { pollIntervalMs: 0 }), ConnectorOptionError);
});

// Regression: a deleted file neither grows nor shrinks, so the wait never ended (its split stayed in every checkpoint).
for (const watch of [true, false]) {
  test(`${watch ? 'fs.watch' : 'polling'}: deleting the file resolves the wait, unlinked, at its size`, async () => {
    const path = join(dir, `deleted-${watch}.txt`);
    await writeFile(path, 'abc');
    const h = await open(path, 'r');
    const growth = new FileGrowth(path, async () => { const s = await h.stat(); return { size: s.size, linked: s.nlink > 0 }; }, { watch, pollIntervalMs: 10, safetyPollMs: 60_000 });
    try {
      const waiting = growth.changedFrom(3);
      assert.equal(growth.watching, watch);
      await unlink(path);
      assert.deepEqual(await waiting, { size: 3, linked: false });
    } finally {
      growth.close();
      await h.close();
    }
  });
}

// Regression (review): the watch is made by path at the reader's first wait; a file rotated away before that (renamed,
// a new file made at its path) had the new file watched, and appends to the one read were noticed by the safety
// poll alone (2 s by default; an hour here, so the wait would hang). Now the watch is checked against the file read.
test('fs.watch made after the file read was rotated away: the reader polls, and an append to the rotated file resolves the wait', { timeout: 20_000 }, async () => {
  const path = join(dir, 'rotated.log');
  await writeFile(path, 'ab');
  const h = await open(path, 'r');
  await rename(path, `${path}.1`);
  await writeFile(path, 'new file');
  const state = async () => { const s = await h.stat(); return { size: s.size, linked: s.nlink > 0, id: { dev: s.dev, ino: s.ino } }; };
  const growth = new FileGrowth(path, state, { pollIntervalMs: 10, safetyPollMs: 3_600_000 });
  try {
    const waiting = growth.changedFrom(2);
    await appendFile(`${path}.1`, 'cd');
    assert.equal((await waiting).size, 4);
    assert.equal(growth.watching, false, 'polls: the watch was on the new file');
  } finally {
    growth.close();
    await h.close();
  }
});

test('fs.watch on the file read (checked by its identity) stays on: appends wake the wait', async () => {
  const path = join(dir, 'same.log');
  await writeFile(path, 'ab');
  const h = await open(path, 'r');
  const state = async () => { const s = await h.stat(); return { size: s.size, linked: s.nlink > 0, id: { dev: s.dev, ino: s.ino } }; };
  const growth = new FileGrowth(path, state, { pollIntervalMs: 3_600_000, safetyPollMs: 3_600_000 });
  try {
    let waiting = growth.changedFrom(2);
    await appendFile(path, 'cd');
    assert.equal((await waiting).size, 4);
    waiting = growth.changedFrom(4);
    await appendFile(path, 'ef');
    assert.equal((await waiting).size, 6);
    assert.equal(growth.watching, true);
  } finally {
    growth.close();
    await h.close();
  }
});
