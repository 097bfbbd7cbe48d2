// Regression: a job that loads a module through an import computed at run time died in its bundled worker with
// a bare "Cannot find module ... imported from .../node_modules/.cache/sluice/worker-....mjs": the message did not
// say that the bundle is why, nor how to run without it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { bundleImportHint } from '../../../core/runtime/worker-bundle.js';

test('a bundled worker that cannot find a computed import says why and how to run without bundles', { timeout: 120_000 }, async () => {
  const h = await run(new URL('./jobs/computed-import.ts', import.meta.url), { parallelism: 1, bundleWorkers: true });
  await assert.rejects(h.result, (e: Error) => {
    assert.match(e.message, /Cannot find module .*core[\\/]index\.js/);
    assert.match(e.message, /worker bundle could not import it: .* bundleWorkers: false or SLUICE_BUNDLE_WORKERS=0\)/);
    return true;
  });
});

test('the same job runs without bundles', { timeout: 120_000 }, async () => {
  const h = await run<{ out: number[] }>(new URL('./jobs/computed-import.ts', import.meta.url), { parallelism: 1, bundleWorkers: false });
  assert.deepEqual((await h.result).collected.out, [1, 2, 3]);
});

test('no hint for other failures', () => {
  assert.equal(bundleImportHint("Cannot find module '/x/y.js' imported from /x/z.mjs"), '');
  assert.equal(bundleImportHint('boom'), '');
});
