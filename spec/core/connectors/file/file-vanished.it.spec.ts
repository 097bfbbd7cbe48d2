// End to end: a followed file deleted after the main thread listed it and before its reader opened it is skipped,
// and the warning a worker's reader gives reaches the run's onWarning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';

// Regression: the job failed with ENOENT (open) on every attempt.
test('a followed file gone before its opening: the job reads on (here: nothing left, it ends) and onWarning names the file', async () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-vanishing-')));
  try {
    const file = path.join(dir, 'gone.jsonl');
    writeFileSync(file, '{"i":1}\n');
    const u = new URL('./jobs/vanishing.ts', import.meta.url);
    u.searchParams.set('file', file);
    const warnings: string[] = [];
    const { collected } = await (await run(u, { parallelism: 1, onWarning: (m) => warnings.push(m) })).result;
    assert.deepEqual(collected.out, []);
    assert.ok(warnings.includes(`file source: ${file} was deleted before it was opened (between the scan that found it and its opening): skipped, none of it was read`), warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
