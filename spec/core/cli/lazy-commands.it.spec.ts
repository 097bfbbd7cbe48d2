// Runs on: main thread (the test), spawning the real CLI (`node bin/sluice.mjs`) with a probe that lists every
// module the process loads (spec/support/module-loads.mjs).
//
// Regression: main.ts imported every command's module, and through them the whole engine (~160 files, pino,
// piscina, classic-level, ...), before commander parsed anything: `sluice --version` took 1.1-1.3 s under load.
// Now a command's action imports its implementation when it runs.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bin, repo } from './sluice-process.js';

const probe = fileURLToPath(new URL('../../support/module-loads.mjs', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'sluice-lazy-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** What the command line needs to parse and answer --version / --help: no command, no engine. */
const CLI_ONLY = ['core/cli/main.ts', 'core/cli/exit-codes.ts', 'core/cli/log-levels.ts', 'core/runtime/typescript-hooks.ts'];
const ENGINE_PACKAGES = ['pino', 'piscina', 'classic-level', 'msgpackr', 'prom-client', 'flatbuffers', 'hdr-histogram-js'];

interface Run { code: number; stdout: string; sources: string[]; packages: string[]; hookRegistrations: number }

/** Runs `sluice args` with the probe: its exit code, stdout, the repository files and the packages it loaded. */
function sluiceLoading(args: string[], name: string): Promise<Run> {
  const loads = path.join(tmp, `${name}.txt`);
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', probe, bin, ...args], { cwd: repo, env: { ...process.env, SLUICE_MODULE_LOADS: loads } }, (err, stdout) => {
      if (err && typeof err.code !== 'number') { reject(err); return; }
      const lines = readFileSync(loads, 'utf8').split('\n');
      const files = lines.filter((u) => u.startsWith('file:')).map((u) => path.relative(repo, fileURLToPath(u)));
      resolve({
        code: typeof err?.code === 'number' ? err.code : 0,
        stdout,
        sources: [...new Set(files.filter((f) => !f.startsWith('node_modules') && !f.startsWith('..')))],
        packages: [...new Set(files.filter((f) => f.startsWith('node_modules')).map((f) => f.split(path.sep)[1]!))],
        hookRegistrations: lines.filter((l) => l.startsWith('hooks ')).length,
      });
    });
  });
}

test('--version and --help (top level and a command\'s) load no command\'s module and no engine', async () => {
  for (const [args, expect] of [[['--version'], /^\d+\.\d+\.\d+/], [['--help'], /Usage: sluice/], [['run', '--help'], /Usage: sluice run/],
    [['inspect', '--help'], /Usage: sluice inspect/]] as const) {
    const r = await sluiceLoading([...args], args.join('').replace(/-/g, ''));
    assert.equal(r.code, 0, `sluice ${args.join(' ')}`);
    assert.match(r.stdout, expect);
    const beyond = r.sources.filter((f) => f !== 'bin/sluice.mjs' && !CLI_ONLY.includes(f.split(path.sep).join('/')));
    assert.deepEqual(beyond, [], `sluice ${args.join(' ')} loaded more than the command line`);
    assert.deepEqual(r.packages.filter((p) => ENGINE_PACKAGES.includes(p)), [], `sluice ${args.join(' ')} loaded the engine's packages`);
  }
});

// Also what shows that the probe sees the TypeScript files tsx loads: else the test above would pass on nothing.
test('a command loads its own module when it runs, and not the others\'', async () => {
  const r = await sluiceLoading(['status', path.join(tmp, 'no-such-state-dir')], 'status');
  assert.equal(r.code, 2, 'no state directory: bad usage');
  const posix = r.sources.map((f) => f.split(path.sep).join('/'));
  assert.ok(posix.includes('core/cli/main.ts') && posix.includes('core/cli/status-command.ts'), `loaded ${posix.join(', ')}`);
  for (const other of ['core/cli/run-command.ts', 'core/cli/inspect.ts', 'core/cli/savepoint-command.ts', 'core/cli/cancel-command.ts', 'core/runtime/run.ts']) {
    assert.ok(!posix.includes(other), `sluice status loaded ${other}`);
  }
});

// In a checkout bin/sluice.mjs registers tsx for sluice's own sources; run's action registers it only where main is
// built JavaScript (the package), else tsx's hooks would be in the chain twice, every module transformed twice.
test('sluice run in a checkout registers tsx once', async () => {
  writeFileSync(path.join(tmp, 'package.json'), '{ "type": "module" }\n');
  const job = path.join(tmp, 'job.ts');
  writeFileSync(job, `import { defineJob } from '${pathToFileURL(path.join(repo, 'core', 'index.ts')).href}';\n`
    + "export default defineJob((env) => { env.fromCollection([1, 2, 3]).map((x: number) => x * 2).name('double').collect().name('out'); });\n");
  const r = await sluiceLoading(['run', job, '--json', '--parallelism', '1'], 'run');
  assert.equal(r.code, 0);
  assert.equal((JSON.parse(r.stdout) as { collected: Record<string, number> }).collected['out'], 3);
  assert.equal(r.hookRegistrations, 1, 'module hooks registered (tsx\'s)');
});
