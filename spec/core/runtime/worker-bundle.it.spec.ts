// Worker threads load a TypeScript job as one bundle (core/runtime/worker-bundle.ts), or file by file through tsx
// (bundleWorkers: false): the same job gives the same results either way, with every file's import.meta.url its
// own; a bundle is reused while none of its inputs changed and rebuilt when one did; a job the bundler cannot
// take falls back to tsx with a warning.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run } from '../../../core/index.js';
import { bundleWorkerEntry, withoutTsx } from '../../../core/runtime/worker-bundle.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const api = pathToFileURL(fileURLToPath(new URL('../../../core/index.ts', import.meta.url))).href;
const msgpackrPath = createRequire(import.meta.url).resolve('msgpackr');

for (const bundleWorkers of [true, false]) {
  test(`bundleWorkers ${bundleWorkers}: user functions on worker threads see their own files' URLs and the job's query string`, async () => {
    const warnings: string[] = [];
    const h = await run(new URL('./jobs/bundled.ts?tag=blue', import.meta.url), { parallelism: 2, bundleWorkers, onWarning: (m) => warnings.push(m) });
    const r = await h.result;
    const rows = (r.collected['out'] as { x: number; runningFrom: string }[]).sort((a, b) => a.x - b.x);
    assert.deepEqual(rows.map(({ runningFrom: _, ...row }) => row), [1, 2, 3, 4].map((x) => ({ x, tag: 'blue', beside: 'read from beside the job', msgpackr: msgpackrPath, worker: true })));
    assert.deepEqual(warnings, []);
    // The switch took effect: the workers ran the job's code from a bundle, or from its own .ts file.
    for (const { runningFrom } of rows) assert.match(runningFrom, bundleWorkers ? /^worker-[0-9a-f]+-[0-9a-f]+\.mjs$/ : /^bundled\.ts$/);
  });
}

// The switch's environment form (README: `SLUICE_BUNDLE_WORKERS=0` or `false`), which run() reads only where the
// option is not given: the option's tests above never reach it.
for (const value of ['0', 'false']) {
  test(`SLUICE_BUNDLE_WORKERS=${value}: workers load the job file by file through tsx, unless bundleWorkers says otherwise`, async () => {
    const before = process.env['SLUICE_BUNDLE_WORKERS'];
    process.env['SLUICE_BUNDLE_WORKERS'] = value;
    try {
      for (const [bundleWorkers, from] of [[undefined, /^bundled\.ts$/], [true, /^worker-[0-9a-f]+-[0-9a-f]+\.mjs$/]] as const) {
        const r = await (await run(new URL('./jobs/bundled.ts?tag=blue', import.meta.url), { parallelism: 2, bundleWorkers })).result;
        const rows = r.collected['out'] as { runningFrom: string }[];
        assert.equal(rows.length, 4);
        for (const { runningFrom } of rows) assert.match(runningFrom, from, `bundleWorkers ${String(bundleWorkers)}`);
      }
    } finally {
      if (before === undefined) delete process.env['SLUICE_BUNDLE_WORKERS'];
      else process.env['SLUICE_BUNDLE_WORKERS'] = before;
    }
  });
}

for (const bundleWorkers of [true, false]) {
  test(`bundleWorkers ${bundleWorkers}: the stack trace of an error thrown on a worker thread names the job's file and line`, async () => {
    const h = await run(new URL('./jobs/bundled.ts?tag=throw', import.meta.url), { parallelism: 2, bundleWorkers });
    const e = await h.result.then(() => undefined, (err: Error) => err);
    assert.ok(e instanceof Error, 'the job failed');
    const stack = String((e.cause as Error | undefined)?.stack ?? e.stack);
    assert.match(stack, /thrown by the job at x = 3/);
    // The map's line of the throw (a bundle without its source map would give the bundle's name and line).
    assert.match(stack, /jobs[\/]bundled\.ts:13:/, stack);
    assert.doesNotMatch(stack, /worker-[0-9a-f]+-[0-9a-f]+\.mjs/);
  });
}

// Regression: a bundle left a job's package imports bare, to be resolved from where the bundle is
// written (inside the engine): a package of the job's own project was not found (the worker died), and one the
// engine also depends on was the engine's copy, while the main thread and unbundled workers had the job's.
for (const bundleWorkers of [true, false]) {
  test(`bundleWorkers ${bundleWorkers}: a job outside the engine gets its own project's packages, also one the engine has`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-project-'));
    try {
      writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}\n');
      for (const [name, value] of [['job-only-package', 'from the job project'], ['msgpackr', 'the job project\'s msgpackr']]) {
        mkdirSync(path.join(dir, 'node_modules', name), { recursive: true });
        writeFileSync(path.join(dir, 'node_modules', name, 'package.json'), JSON.stringify({ name, version: '99.0.0', type: 'module', exports: { '.': { import: './index.js' } } }));
        writeFileSync(path.join(dir, 'node_modules', name, 'index.js'), `export const which = ${JSON.stringify(value)};\n`);
      }
      const job = path.join(dir, 'job.ts');
      writeFileSync(job, [
        `import { defineJob } from '${api}';`,
        "import { which as own } from 'job-only-package';",
        "import { which as shared } from 'msgpackr';",
        "export default defineJob((env) => { env.fromCollection([1]).map(() => `${own} / ${shared}`).name('m').collect().name('out'); });",
      ].join('\n'));
      const warnings: string[] = [];
      const r = await (await run(pathToFileURL(job).href, { parallelism: 1, bundleWorkers, onWarning: (m) => warnings.push(m) })).result;
      assert.deepEqual(r.collected['out'], ["from the job project / the job project's msgpackr"]);
      assert.deepEqual(warnings, [], 'bundled, not fallen back to tsx');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// Regressions: an optional import() of a package not installed, or a '#' subpath
// import, made the bundle fall back to tsx; a nearer copy of a package installed after a bundle was cached was not
// seen (the bundle kept importing the farther one by its path).
test('job packages in a bundle: optional missing packages, subpath imports, and a nearer copy installed later', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-packages-'));
  try {
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module', imports: { '#lib': './lib.ts' } }));
    writeFileSync(path.join(dir, 'lib.ts'), "export const lib: string = 'from #lib';\n");
    const pkg = (root: string, version: string): void => {
      mkdirSync(path.join(root, 'node_modules', 'foo'), { recursive: true });
      writeFileSync(path.join(root, 'node_modules', 'foo', 'package.json'), JSON.stringify({ name: 'foo', version, type: 'module', main: 'index.js' }));
      writeFileSync(path.join(root, 'node_modules', 'foo', 'index.js'), `export const v = ${JSON.stringify(version)};\n`);
    };
    pkg(dir, '1.0.0');
    const app = path.join(dir, 'app');
    mkdirSync(app);
    writeFileSync(path.join(app, 'job.ts'), [
      `import { defineJob } from '${api}';`,
      "import { lib } from '#lib';",
      "import { v } from 'foo';",
      "const optional = await import('optional-package-not-installed').then(() => 'present', () => 'absent');",
      "export default defineJob((env) => { env.fromCollection([1]).map(() => `${lib} ${v} ${optional}`).name('m').collect().name('out'); });",
    ].join('\n'));
    const url = pathToFileURL(path.join(app, 'job.ts')).href;
    const out = async (): Promise<unknown> => {
      const warnings: string[] = [];
      const r = await (await run(url, { parallelism: 1, onWarning: (m) => warnings.push(m) })).result;
      assert.deepEqual(warnings, [], 'bundled, not fallen back to tsx');
      return r.collected['out'];
    };
    assert.deepEqual(await out(), ['from #lib 1.0.0 absent']);
    pkg(app, '2.0.0');
    assert.deepEqual(await out(), ['from #lib 2.0.0 absent'], 'the nearer copy, as Node finds it');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a cached bundle is reused while its inputs are unchanged, and rebuilt when one changes', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-'));
  try {
    const job = path.join(dir, 'job.ts');
    const helper = path.join(dir, 'helper.ts');
    writeFileSync(job, `import { defineJob } from '${api}';\nimport { f } from './helper.js';\nexport default defineJob((env) => { env.fromCollection([1, 2, 3]).map((x: number) => f(x)).name('f').collect().name('out'); });\n`);
    writeFileSync(helper, 'export const f = (x: number): number => x * 10;\n');
    const url = pathToFileURL(job).href;
    const first = await bundleWorkerEntry(url, assert.fail);
    const again = await bundleWorkerEntry(url, assert.fail);
    assert.equal(again?.cached, true);
    assert.equal(again?.url, first?.url);
    const out = async (): Promise<unknown[]> => ((await (await run(url, { parallelism: 1 })).result).collected['out'] as number[]).sort((a, b) => a - b);
    assert.deepEqual(await out(), [10, 20, 30]);
    // Same size, other content: the mtime tells.
    writeFileSync(helper, 'export const f = (x: number): number => x * 20;\n');
    const rebuilt = await bundleWorkerEntry(url, assert.fail);
    assert.equal(rebuilt?.cached, false);
    assert.notEqual(rebuilt?.url, first?.url);
    assert.deepEqual(await out(), [20, 40, 60], 'workers run the changed helper');
    assert.ok(existsSync(fileURLToPath(first!.url)), 'the older bundle stays for a while (a run may be about to load it)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regressions: the cache served the old bundle after a link to the job's directory was repointed to
// another release (the manifest records real paths, none of which changed), and after the job's own package.json
// remapped a '#' import (only packages under node_modules counted with their package.json).
test('a bundle is rebuilt when the link to the job\'s release moves, or its package.json remaps a # import', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-release-'));
  try {
    for (const release of ['v1', 'v2']) {
      mkdirSync(path.join(dir, release));
      writeFileSync(path.join(dir, release, 'package.json'), JSON.stringify({ type: 'module', imports: { '#lib': './lib1.ts' } }));
      writeFileSync(path.join(dir, release, 'lib1.ts'), `export const lib: string = '${release} lib1';\n`);
      writeFileSync(path.join(dir, release, 'lib2.ts'), `export const lib: string = '${release} lib2';\n`);
      writeFileSync(path.join(dir, release, 'job.ts'), [
        `import { defineJob } from '${api}';`,
        "import { lib } from '#lib';",
        "export default defineJob((env) => { env.fromCollection([1]).map(() => lib).name('m').collect().name('out'); });",
      ].join('\n'));
    }
    symlinkSync(path.join(dir, 'v1'), path.join(dir, 'current'));
    const url = pathToFileURL(path.join(dir, 'current', 'job.ts')).href;
    const out = async (): Promise<unknown> => (await (await run(url, { parallelism: 1, onWarning: assert.fail })).result).collected['out'];
    assert.deepEqual(await out(), ['v1 lib1']);
    rmSync(path.join(dir, 'current'));
    symlinkSync(path.join(dir, 'v2'), path.join(dir, 'current'));
    assert.deepEqual(await out(), ['v2 lib1'], 'the release the link points to now');
    writeFileSync(path.join(dir, 'v2', 'package.json'), JSON.stringify({ type: 'module', imports: { '#lib': './lib2.ts' } }));
    assert.deepEqual(await out(), ['v2 lib2'], 'the remapped import');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: old bundles of jobs in temporary directories were never removed (the cache grew by ~1.5 MB
// per such run); the sweep that removes them must not take the bundle of a job still running (its restarts reload it).
test('a running job leases its bundle (the cache sweep keeps it) until its run ends', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-'));
  try {
    const job = path.join(dir, 'job.ts');
    writeFileSync(job, `import { defineJob } from '${api}';\nexport default defineJob((env) => { env.fromGenerator({ seed: 1, ratePerSec: 1000 }, (i) => i).discard(); });\n`);
    const url = pathToFileURL(job).href;
    const bundle = fileURLToPath((await bundleWorkerEntry(url, assert.fail))!.url);
    const leases = (): string[] => readdirSync(path.dirname(bundle)).filter((f) => f.startsWith(`${path.basename(bundle)}.${process.pid}-`) && f.endsWith('.lease'));
    assert.deepEqual(leases(), []);
    const h = endsWithTest(t, await run(url, { parallelism: 1 }));
    assert.equal(leases().length, 1, 'leased while running');
    await h.cancel();
    assert.deepEqual(leases(), [], 'released at the end');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: a hit only checked that the bundle existed, so another run's sweep could take an old
// unnamed-by-then bundle between this run's hit and its lease.
test('a cache hit touches its bundle (the sweep spares it until the run leases it); a bundle gone since is a miss', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-'));
  try {
    const job = path.join(dir, 'job.ts');
    writeFileSync(job, `import { defineJob } from '${api}';\nexport default defineJob((env) => { env.fromCollection([1]).discard(); });\n`);
    const url = pathToFileURL(job).href;
    const bundle = fileURLToPath((await bundleWorkerEntry(url, assert.fail))!.url);
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(bundle, hourAgo, hourAgo);
    const hit = await bundleWorkerEntry(url, assert.fail);
    assert.equal(hit?.cached, true);
    assert.ok(Date.now() - statSync(bundle).mtimeMs < 60_000, 'touched by the hit');
    rmSync(bundle);
    const again = await bundleWorkerEntry(url, assert.fail);
    assert.equal(again?.cached, false, 'rebuilt');
    assert.ok(existsSync(fileURLToPath(again!.url)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a job the bundler cannot take: bundleWorkerEntry says why and returns nothing (run() then uses tsx)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-bundle-'));
  try {
    const job = path.join(dir, 'job.ts');
    writeFileSync(job, "import { nothing } from './does-not-exist.js';\nexport default nothing;\n");
    const why: string[] = [];
    assert.equal(await bundleWorkerEntry(pathToFileURL(job).href, (m) => why.push(m)), undefined);
    assert.equal(why.length, 1);
    assert.match(why[0]!, /could not bundle the job for worker threads \(.*does-not-exist.*\); they load it through tsx instead/);
    // JavaScript jobs are not bundled at all.
    assert.equal(await bundleWorkerEntry(pathToFileURL(path.join(dir, 'job.mjs')).href, (m) => why.push(m)), undefined);
    assert.equal(why.length, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('regression: a process started with a per-process flag (Node 24\'s npm build) could not start bundled workers', () => {
  // Passed explicitly, execArgv is checked as worker flags: --secure-heap is per-process (ERR_WORKER_INVALID_EXEC_ARGV).
  const job = new URL('./jobs/bundled.ts?tag=red', import.meta.url).href;
  const code = `import { run } from ${JSON.stringify(api)}; const r = await (await run(${JSON.stringify(job)}, { parallelism: 2 })).result; console.log(JSON.stringify(r.collected.out.map((x) => x.tag)));`;
  const p = spawnSync(process.execPath, ['--secure-heap=0', '--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(JSON.parse(p.stdout.trim()), ['red', 'red', 'red', 'red']);
});

test('withoutTsx takes the TypeScript loader out of a command line and keeps the rest', () => {
  assert.deepEqual(withoutTsx(['--import', 'tsx', '--max-old-space-size=100']), ['--max-old-space-size=100']);
  assert.deepEqual(withoutTsx(['--import=tsx', '--import', './other.mjs']), ['--import', './other.mjs']);
  assert.deepEqual(withoutTsx(['--loader', 'tsx/esm', '-r', 'tsx/cjs', '--require', './setup.cjs']), ['--require', './setup.cjs']);
  assert.deepEqual(withoutTsx(['--import', 'file:///p/node_modules/tsx/dist/loader.mjs', '--enable-source-maps']), ['--enable-source-maps']);
  assert.deepEqual(withoutTsx(['--import', './tsxish.mjs']), ['--import', './tsxish.mjs']);
});
