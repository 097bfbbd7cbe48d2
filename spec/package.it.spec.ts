// Runs on: main thread (the test), with npm, tar and node as child processes.
//
// The package as npm publishes it: `npm pack` on a copy of the repository (its prepack script builds dist/), the
// tarball unpacked into a project's node_modules, and jobs run from that project the way a user of the package
// runs them: a JavaScript job through the API (`import { run } from 'sluice'`), a TypeScript job through the
// package's `sluice` executable. Fails when package.json names an entry point the tarball does not hold, or when
// the build needs the TypeScript sources to run.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);
const repo = fileURLToPath(new URL('../', import.meta.url));
const TIMEOUT = 240_000;
/** What the build reads: the engine's sources and the files npm packs beside them. */
const COPIED = ['core', 'workers', 'shm', 'bin', 'package.json', 'tsconfig.json', 'tsconfig.build.json', 'README.md'];

interface PackageJson {
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: Record<string, { types: string; default: string }>;
  scripts: Record<string, string>;
}

describe('the npm package', { timeout: TIMEOUT }, () => {
  let tmp = '';
  let app = '';
  let installed = '';
  let files: string[] = [];

  before(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'sluice-package-'));
    const src = path.join(tmp, 'src');
    for (const f of COPIED) cpSync(path.join(repo, f), path.join(src, f), { recursive: true });
    symlinkSync(path.join(repo, 'node_modules'), path.join(src, 'node_modules'), 'dir');
    const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
    await exec('npm', ['pack', '--pack-destination', tmp], { cwd: src, env, maxBuffer: 64 * 1024 * 1024 });
    const tarballs = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    assert.equal(tarballs.length, 1, `npm pack wrote ${tarballs.join(', ') || 'no tarball'}`);
    const tarball = path.join(tmp, tarballs[0]!);
    files = (await exec('tar', ['-tzf', tarball])).stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/^package\//, ''));

    // A project that depends on sluice: the tarball unpacked as node_modules/sluice, sluice's own dependencies
    // beside it (links to this repository's installed ones: the test needs no network).
    app = path.join(tmp, 'app');
    installed = path.join(app, 'node_modules', 'sluice');
    mkdirSync(installed, { recursive: true });
    await exec('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    for (const dep of readdirSync(path.join(repo, 'node_modules'))) {
      if (dep === 'sluice' || dep.startsWith('.')) continue;
      symlinkSync(path.join(repo, 'node_modules', dep), path.join(app, 'node_modules', dep), 'dir');
    }
    writeFileSync(path.join(app, 'package.json'), '{ "type": "module", "dependencies": { "sluice": "*" } }\n');
  });
  after(() => { if (tmp !== '') rmSync(tmp, { recursive: true, force: true }); });

  test('the tarball holds every entry point package.json names, the built workers, and no tests or benchmarks', () => {
    const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as PackageJson;
    const named = [pkg.main, pkg.types, ...Object.values(pkg.bin), ...Object.values(pkg.exports).flatMap((e) => [e.types, e.default])];
    for (const f of named) assert.ok(files.includes(path.normalize(f)), `${f} (named in package.json) is not in the tarball`);
    for (const f of ['dist/workers/pool-entry.cjs', 'dist/workers/pool-entry.mjs', 'dist/workers/task-host.js', 'dist/core/cli/main.js', 'README.md']) {
      assert.ok(files.includes(f), `${f} is not in the tarball`);
    }
    const stray = files.filter((f) => /^(spec|benchmarks|examples|core|workers|shm)\//.test(f));
    assert.deepEqual(stray, [], 'sources, tests and benchmarks stay out of the package');
    assert.ok(existsSync(path.join(installed, pkg.main)));
    // The source maps named .ts files the package does not hold; they carry them now.
    const maps = files.filter((f) => f.endsWith('.js.map'));
    assert.ok(maps.length > 50, `${maps.length} source maps`);
    const bare = maps.filter((f) => { const m = JSON.parse(readFileSync(path.join(installed, f), 'utf8')) as { sources: string[]; sourcesContent?: (string | null)[] }; return m.sourcesContent?.length !== m.sources.length || m.sourcesContent.some((c) => typeof c !== 'string'); });
    assert.deepEqual(bare, [], 'source maps without their sources');
  });

  /**
   * Writes `job` (importing the package, building `body`) and an app that runs it through the API at parallelism
   * 2, runs the app with plain node, and returns its threads and the sorted output.
   */
  async function embedded(job: string, body: string, imports: string[] = []): Promise<{ threads: number; out: number[] }> {
    writeFileSync(path.join(app, job), ["import { defineJob } from 'sluice';", ...imports, `export default defineJob((env) => { ${body} });`, ''].join('\n'));
    writeFileSync(path.join(app, `run-${job}.mjs`), [
      "import { run } from 'sluice';",
      `const handle = await run(new URL('./${job}', import.meta.url), { parallelism: 2 });`,
      'const result = await handle.result;',
      'console.log(JSON.stringify({ threads: handle.plan.threads, out: result.collected.out.sort((a, b) => a - b) }));',
      '',
    ].join('\n'));
    const { stdout } = await exec(process.execPath, [`run-${job}.mjs`], { cwd: app });
    return JSON.parse(stdout) as { threads: number; out: number[] };
  }

  test('a JavaScript job runs on worker threads through the installed package\'s API', async () => {
    const r = await embedded('job.mjs', "env.fromCollection([1, 2, 3, 4, 5]).map((x) => x * 10).name('times-ten').collect().name('out');");
    assert.deepEqual(r, { threads: 2, out: [10, 20, 30, 40, 50] });
  });

  test('a TypeScript job runs through the installed package\'s sluice executable', async () => {
    writeFileSync(path.join(app, 'job.ts'), [
      "import { defineJob } from 'sluice';",
      'export default defineJob((env) => {',
      "  env.fromCollection(['a b', 'b c', 'c']).flatMap<string>((line, out) => { for (const w of line.split(' ')) out.collect(w); }).name('words')",
      "    .keyBy((w) => w).reduce((a) => a).name('distinct').collect().name('out');",
      '});',
      '',
    ].join('\n'));
    const { stdout } = await exec(process.execPath, [path.join(installed, 'bin', 'sluice.mjs'), 'run', 'job.ts', '--json', '--parallelism', '2'], { cwd: app });
    const report = JSON.parse(stdout) as { parallelism: number; cancelled: boolean; collected: Record<string, number> };
    assert.equal(report.parallelism, 2);
    assert.equal(report.cancelled, false);
    // Five words through a rolling reduce: one output per word.
    assert.equal(report.collected['out'], 5);
    // Regression: the job's `import ... from 'sluice'` stayed a package import in the worker bundle, so
    // each worker loaded a second copy of the engine beside the bundled one.
    const cache = path.join(installed, 'dist', 'node_modules', '.cache', 'sluice');
    const bundles = readdirSync(cache).filter((f) => /^worker-.*\.mjs$/.test(f));
    assert.ok(bundles.length > 0, `a worker bundle in ${cache}`);
    for (const b of bundles) assert.doesNotMatch(readFileSync(path.join(cache, b), 'utf8'), /from\s*["']sluice["']/, `${b} imports the package again`);
  });

  // The installed executable registers tsx only for `sluice run` (a checkout registers it first: its sources are
  // TypeScript). Regression: every command loaded tsx and the whole engine before commander parsed anything.
  test('the installed sluice answers --version and --help without tsx or the engine; sluice run registers tsx before the job loads', async () => {
    const probe = path.join(repo, 'spec', 'support', 'module-loads.mjs');
    for (const args of [['--version'], ['--help'], ['run', '--help']]) {
      const loads = path.join(tmp, `loads-${args.join('')}.txt`);
      const { stdout } = await exec(process.execPath, ['--import', probe, path.join(installed, 'bin', 'sluice.mjs'), ...args], { cwd: app, env: { ...process.env, SLUICE_MODULE_LOADS: loads } });
      assert.match(stdout, args[0] === '--version' ? /^\d+\.\d+\.\d+/ : /Usage: sluice/);
      const files = readFileSync(loads, 'utf8').split('\n').filter((u) => u.startsWith('file:')).map((u) => path.relative(installed, fileURLToPath(u)).split(path.sep).join('/'));
      assert.deepEqual(files.filter((f) => f.startsWith('dist/')).sort(),
        ['dist/core/cli/exit-codes.js', 'dist/core/cli/log-levels.js', 'dist/core/cli/main.js', 'dist/core/runtime/typescript-hooks.js'], `sluice ${args.join(' ')}`);
      assert.deepEqual(files.filter((f) => /(^|\/)node_modules\/(tsx|esbuild)\//.test(f)), [], `sluice ${args.join(' ')} loaded tsx`);
      assert.doesNotMatch(readFileSync(loads, 'utf8'), /^hooks /m, `sluice ${args.join(' ')} registered module hooks`);
    }
    // Node 24's own type stripping (were tsx not registered first) refuses both an enum and a .js import of a .ts file.
    writeFileSync(path.join(app, 'colours.ts'), 'export enum Colour { Red = 1, Green = 2 }\n');
    writeFileSync(path.join(app, 'enum-job.ts'), [
      "import { defineJob } from 'sluice';",
      "import { Colour } from './colours.js';",
      "export default defineJob((env) => { env.fromCollection([Colour.Red, Colour.Green]).map((c: Colour) => c * 10).name('times-ten').collect().name('out'); });",
      '',
    ].join('\n'));
    const { stdout } = await exec(process.execPath, [path.join(installed, 'bin', 'sluice.mjs'), 'run', 'enum-job.ts', '--json', '--parallelism', '1'], { cwd: app });
    assert.equal((JSON.parse(stdout) as { collected: Record<string, number> }).collected['out'], 2);
  });

  // Regression: an app run by plain `node` that embeds the installed engine, on Node 24, loaded a TypeScript job with
  // Node's own type stripping, which refused the job's enum and its `.js` import of a `.ts` file (Node 20 failed the
  // job's extension and fell back to tsx; Node 24 did not fail that way, so it never did).
  test('an app run by plain node runs a TypeScript job with an enum and a .js import of a .ts file', async () => {
    writeFileSync(path.join(app, 'shades.ts'), 'export enum Shade { Light = 1, Dark = 2 }\n');
    writeFileSync(path.join(app, 'shade-job.ts'), [
      "import { defineJob } from 'sluice';",
      "import { Shade } from './shades.js';",
      "export default defineJob((env) => { env.fromCollection([Shade.Light, Shade.Dark]).map((c: Shade) => c * 10).name('times-ten').collect().name('out'); });",
      '',
    ].join('\n'));
    writeFileSync(path.join(app, 'embed.mjs'), [
      "import { run } from 'sluice';",
      "const h = await run(new URL('./shade-job.ts', import.meta.url), { parallelism: 1 });",
      'const r = await h.result;',
      'console.log(JSON.stringify(r.collected.out));',
      '',
    ].join('\n'));
    const { stdout } = await exec(process.execPath, [path.join(app, 'embed.mjs')], { cwd: app });
    assert.deepEqual(JSON.parse(stdout), [10, 20]);
  });

  // Regression: a user's strict type check, which reads libraries' declarations too (no skipLibCheck),
  // failed in those of ioredis 6.1, whose types import a package ioredis does not depend on; sluice's reached them
  // through the Redis connectors' options. Now no declaration the package's entry points reach imports ioredis
  // (this repository's ioredis 6.0 does not show the failure, so the imports are checked as well).
  test('the declarations the package\'s entry points reach import no ioredis types', () => {
    const seen = new Set<string>();
    const bare = new Set<string>();
    const visit = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) visit(path.resolve(path.dirname(file), spec.replace(/\.js$/, '.d.ts')));
        else bare.add(spec);
      }
    };
    visit(path.join(installed, 'dist', 'core', 'index.d.ts'));
    visit(path.join(installed, 'dist', 'shm', 'index.d.ts'));
    assert.ok(seen.size > 20, `${seen.size} declaration files reached`);
    assert.ok(!bare.has('ioredis'), [...seen].filter((f) => readFileSync(f, 'utf8').includes("'ioredis'")).join(', '));
  });

  test('a job type-checks against the installed package\'s declarations in a strict project, libraries\' included', async () => {
    const dir = path.join(app, 'typed');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, skipLibCheck: false, noEmit: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', types: ['node'] },
      files: ['job.ts'],
    }));
    writeFileSync(path.join(dir, 'job.ts'), [
      "import { defineJob, redisStreamSink, type RedisConnection } from 'sluice';",
      "const connection: RedisConnection = { host: '127.0.0.1', port: 6379 };",
      'export default defineJob((env) => {',
      "  env.fromCollection([1, 2, 3]).map((x: number) => ({ x })).name('m').sink(redisStreamSink<{ x: number }>({ connection, stream: 's' })).name('out');",
      '});',
      '',
    ].join('\n'));
    writeFileSync(path.join(app, 'typed', 'package.json'), '{ "type": "module" }\n');
    const tsc = path.join(repo, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = await exec(process.execPath, [tsc, '-p', dir], { cwd: dir }).then(() => ({ code: 0, out: '' }), (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }));
    assert.deepEqual(r, { code: 0, out: '' });
  });

  // Regression (review): Node 24's type stripping refused a type imported without `type` and a decorator with a plain
  // SyntaxError (no code), which run() did not take for "needs tsx": the CLI and Node 20 ran these jobs, an app on
  // Node 24 did not. tsx is now registered before a TypeScript job loads, as the CLI does.
  test('an app run by plain node runs a TypeScript job that imports a type without `type` and uses a decorator', async () => {
    const r = await embedded('decorated-job.ts', [
      'class Scaler { @logged scale(x: number): number { return x * 2; } }',
      'const scaler = new Scaler();',
      "const build: JobBuilder = (env) => { env.fromCollection<number>([1, 2, 3]).map((x: number) => scaler.scale(x)).name('twice').collect().name('out'); };",
      'build(env);',
    ].join('\n'), ["import { JobBuilder } from 'sluice';", 'function logged(value: (x: number) => number, _ctx: ClassMethodDecoratorContext): (x: number) => number { return value; }']);
    assert.deepEqual(r, { threads: 2, out: [2, 4, 6] });
  });

  // Regression (review): a TypeScript job in a CommonJS package failed embedded with Node's internal assertion (Node
  // 20) or a file name with a query of sluice's own (Node 24); the hint was the CLI's alone.
  test('an app run by plain node gets JobLoadError with the CommonJS hint for a TypeScript job in a CommonJS package (Node 20), or runs it (Node 22.12+)', async () => {
    const cjs = path.join(app, 'cjs-package');
    mkdirSync(cjs, { recursive: true });
    writeFileSync(path.join(cjs, 'package.json'), '{ "type": "commonjs" }\n');
    writeFileSync(path.join(cjs, 'job.ts'), "import { defineJob } from 'sluice';\nexport default defineJob((env) => { env.fromCollection<number>([1, 2]).collect().name('out'); });\n");
    writeFileSync(path.join(cjs, 'embed.mjs'), [
      "import { run } from 'sluice';",
      "try { const r = await (await run(new URL('./job.ts', import.meta.url), { parallelism: 1 })).result; console.log(JSON.stringify(r.collected.out)); }",
      "catch (e) { console.log(JSON.stringify({ name: e.name, message: e.message })); }",
      '',
    ].join('\n'));
    // A .cts job (CommonJS whatever the package says): Node 20 failed it with an internal error ("Cannot read
    // properties of undefined (reading 'exports')").
    writeFileSync(path.join(cjs, 'job2.cts'), "import { defineJob } from 'sluice';\nexport default defineJob((env) => { env.fromCollection<number>([1, 2]).collect().name('out'); });\n");
    writeFileSync(path.join(cjs, 'embed2.mjs'), readFileSync(path.join(cjs, 'embed.mjs'), 'utf8').replace('./job.ts', './job2.cts'));
    const { stdout } = await exec(process.execPath, ['embed.mjs'], { cwd: cjs });
    const { stdout: cts } = await exec(process.execPath, ['embed2.mjs'], { cwd: cjs });
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    if (major > 22 || (major === 22 && minor >= 12)) {
      assert.deepEqual(JSON.parse(stdout), [1, 2]);
      assert.deepEqual(JSON.parse(cts), [1, 2]);
      return;
    }
    const e = JSON.parse(stdout) as { name: string; message: string };
    assert.equal(e.name, 'JobLoadError', stdout);
    assert.match(e.message, /^outside a package\.json with "type": "module", a \.ts file loads as CommonJS: .*\nNode's error: /, stdout);
    const c = JSON.parse(cts) as { name: string; message: string };
    assert.equal(c.name, 'JobLoadError', cts);
    assert.match(c.message, /^a \.cts file loads as CommonJS, which cannot load sluice \(an ES module\) before Node 22\.12: name the job \.mts\nNode's error: /, cts);
  });

  // Regression: embedded by an app that plain `node` runs, a TypeScript job failed to load
  // (ERR_UNKNOWN_FILE_EXTENSION): only the CLI brought a TypeScript loader.
  test('a TypeScript job runs through the API of an app started by plain node, with no TypeScript loader', async () => {
    const r = await embedded('typed-job.ts', "env.fromCollection<number>([1, 2, 3]).map((x: number): number => x + 1).name('plus-one').collect().name('out');");
    assert.deepEqual(r, { threads: 2, out: [2, 3, 4] });
  });

  // Regression: loaded through tsx's tsImport, the job's imports lived in a namespace of their own, so the job got a
  // second copy of sluice, and the engine refused its WatermarkStrategy ("expected a WatermarkStrategy"), OutputTag
  // and DEAD_LETTERS.
  test('a TypeScript job run by plain node passes sluice\'s own objects to the API: a watermark strategy, an event-time window, a side output tag from a module of its own', async () => {
    writeFileSync(path.join(app, 'tags.ts'), "import { OutputTag } from 'sluice';\nexport const EVEN = new OutputTag<number>('even');\n");
    const r = await embedded('objects-job.ts', [
      "const split = env.fromCollection<number>([1, 2, 3, 4, 5, 6]).process((x: number, ctx, out) => { if (x % 2 === 0) ctx.output(EVEN, x); else out.collect(x); }).name('split');",
      'const evens = split.getSideOutput(EVEN).map((x: number): number => x * 100).name(\'evens\');',
      'split.assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x: number) => x)).setParallelism(1)',
      '  .keyBy((x: number) => x % 3).window(TumblingEventTimeWindows.of(10)).reduce((a: number, b: number) => a + b).union(evens).collect().name(\'out\');',
    ].join('\n'), ["import { WatermarkStrategy, TumblingEventTimeWindows } from 'sluice';", "import { EVEN } from './tags.ts';"]);
    assert.deepEqual(r, { threads: 2, out: [1, 3, 5, 200, 400, 600] });
  });

  // Regression (a review): tsx's hooks were registered for one import and taken off after it, so a second job whose
  // import began meanwhile lost them halfway through its TypeScript modules ("Unknown file extension .ts"). The
  // review's delays; the race depends on timing and was not seen here, so this guards loading two at once.
  test('two TypeScript jobs loaded at once by an app started by plain node, each with a chain of TypeScript modules', async () => {
    const chain = (job: string, n: number): void => {
      for (let i = 0; i < n; i++) {
        const next = i + 1 < n ? `import { f${i + 1} } from './${job}-dep-${i + 1}.ts';\nexport const f${i} = (x: number): number => f${i + 1}(x) + 1;\n` : `export const f${i} = (x: number): number => x;\n`;
        writeFileSync(path.join(app, `${job}-dep-${i}.ts`), next);
      }
      writeFileSync(path.join(app, `${job}.ts`), [
        "import { defineJob } from 'sluice';",
        `import { f0 } from './${job}-dep-0.ts';`,
        "export default defineJob((env) => { env.fromCollection<number>([1, 2, 3]).map((x: number): number => f0(x)).name('m').collect().name('out'); });",
        '',
      ].join('\n'));
    };
    chain('chain-a', 30);
    chain('chain-b', 30);
    writeFileSync(path.join(app, 'run-two.mjs'), [
      "import { run } from 'sluice';",
      'const delayMs = Number(process.argv[2]);',
      "const out = await Promise.all(['chain-a', 'chain-b'].map(async (job, k) => {",
      '  if (k === 1) await new Promise((r) => setTimeout(r, delayMs));',
      '  return (await (await run(new URL(`./${job}.ts`, import.meta.url), { parallelism: 1 })).result).collected.out;',
      '}));',
      'console.log(JSON.stringify(out));',
      '',
    ].join('\n'));
    for (const delayMs of [5, 200, 300]) {
      const { stdout } = await exec(process.execPath, ['run-two.mjs', String(delayMs)], { cwd: app });
      assert.deepEqual(JSON.parse(stdout), [[30, 31, 32], [30, 31, 32]], `the second job ${delayMs} ms after the first`);
    }
  });
});
