// Worker threads load a TypeScript job as one bundle (core/runtime/worker-bundle.ts), or file by file through tsx
// (bundleWorkers: false): the same job gives the same results either way, with every file's import.meta.url its
// own; the bundle is removed when the run ends; a job the bundler cannot take falls back to tsx with a warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, existsSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from '../../../core/index.js';
import { bundleWorkerEntry, withoutTsx } from '../../../core/runtime/worker-bundle.js';

const CACHE = fileURLToPath(new URL('../../../node_modules/.cache/sluice/', import.meta.url));
const mine = (): string[] => (existsSync(CACHE) ? readdirSync(CACHE).filter((f) => f.startsWith(`worker-${process.pid}-`)) : []);
const msgpackrPath = createRequire(import.meta.url).resolve('msgpackr');

for (const bundleWorkers of [true, false]) {
  test(`bundleWorkers ${bundleWorkers}: user functions on worker threads see their own files' URLs and the job's query string`, async () => {
    const warnings: string[] = [];
    const h = await run(new URL('./jobs/bundled.ts?tag=blue', import.meta.url), { parallelism: 2, bundleWorkers, onWarning: (m) => warnings.push(m) });
    if (bundleWorkers) assert.equal(mine().length, 1, 'one bundle while the job runs');
    const r = await h.result;
    const rows = (r.collected['out'] as { x: number }[]).sort((a, b) => a.x - b.x);
    assert.deepEqual(rows, [1, 2, 3, 4].map((x) => ({ x, tag: 'blue', beside: 'read from beside the job', msgpackr: msgpackrPath, worker: true })));
    assert.deepEqual(warnings, []);
    assert.deepEqual(mine(), [], 'the bundle is gone once the run ends');
  });
}

test('a job the bundler cannot take: bundleWorkerEntry says why and returns nothing (run() then uses tsx)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-'));
  try {
    const job = path.join(dir, 'job.ts');
    writeFileSync(job, "import { nothing } from './does-not-exist.js';\nexport default nothing;\n");
    const why: string[] = [];
    assert.equal(await bundleWorkerEntry(pathToFileURL(job).href, (m) => why.push(m)), undefined);
    assert.equal(why.length, 1);
    assert.match(why[0]!, /could not bundle the job for worker threads \(.*does-not-exist.*\); they load it through tsx instead/);
    assert.deepEqual(mine(), [], 'no half-written bundle left');
    // JavaScript jobs are not bundled at all.
    assert.equal(await bundleWorkerEntry(pathToFileURL(path.join(dir, 'job.mjs')).href, (m) => why.push(m)), undefined);
    assert.equal(why.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('withoutTsx takes the TypeScript loader out of a command line and keeps the rest', () => {
  assert.deepEqual(withoutTsx(['--import', 'tsx', '--max-old-space-size=100']), ['--max-old-space-size=100']);
  assert.deepEqual(withoutTsx(['--import=tsx', '--import', './other.mjs']), ['--import', './other.mjs']);
  assert.deepEqual(withoutTsx(['--loader', 'tsx/esm', '-r', 'tsx/cjs', '--require', './setup.cjs']), ['--require', './setup.cjs']);
  assert.deepEqual(withoutTsx(['--import', 'file:///p/node_modules/tsx/dist/loader.mjs', '--enable-source-maps']), ['--enable-source-maps']);
  assert.deepEqual(withoutTsx(['--import', './tsxish.mjs']), ['--import', './tsxish.mjs']);
});
