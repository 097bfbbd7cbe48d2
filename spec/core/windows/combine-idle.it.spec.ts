// Regression, whole job: with combineLocally, the one record of a subtask that then went idle was held as a partial
// while the window fired without it (dropped as late when the subtask ended). Both ways: the window counts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';

for (const combine of [false, true]) {
  test(`an idle upstream subtask's record is counted in its window (combineLocally ${combine ? 'on' : 'off'})`, { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-combine-idle-'));
    try {
      const h = await run(new URL(`./jobs/combine-idle.ts?dir=${encodeURIComponent(dir)}&combine=${combine ? 1 : 0}`, import.meta.url), { parallelism: 2 });
      const guard = setTimeout(() => void h.cancel(), 40_000);
      const r = await h.result.finally(() => clearTimeout(guard));
      assert.equal(r.cancelled, false);
      assert.deepEqual(r.collected.out, ['x@0:1']);
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });
}
