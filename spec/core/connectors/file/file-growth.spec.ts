// Noticing a followed file's growth: through fs.watch, and by polling when fs.watch cannot watch the path.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
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
  const growth = new FileGrowth(path, async () => (await stat(path)).size, { pollIntervalMs: 10, safetyPollMs: 60_000 });
  const waiting = growth.changedFrom(2);
  assert.equal(growth.watching, true);
  await appendFile(path, 'cd');
  assert.equal(await waiting, 4);
  growth.close();
});

test('when fs.watch cannot watch (here: the watched path is gone), polling takes over', async () => {
  const path = join(dir, 'data.txt');
  await writeFile(path, 'x');
  // Sizes come from the file being read; the watched path no longer exists, so fs.watch throws.
  const growth = new FileGrowth(join(dir, 'renamed-away.txt'), async () => (await stat(path)).size, { pollIntervalMs: 10 });
  const waiting = growth.changedFrom(1);
  assert.equal(growth.watching, false);
  await appendFile(path, 'yz');
  assert.equal(await waiting, 3);
  growth.close();
  assert.throws(() => new FileGrowth(path, async () => 0, { pollIntervalMs: 0 }), ConnectorOptionError);
});
