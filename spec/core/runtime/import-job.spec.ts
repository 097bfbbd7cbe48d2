// Runs on: main thread (the test). A job module that does not load: run() says where its syntax error is (Node's
// own SyntaxError from import() names neither file nor line) and gives tsx's compile error without esbuild's frames.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, JobLoadError } from '../../../core/index.js';

const api = pathToFileURL(path.resolve('core', 'index.ts')).href;
let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-import-job-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

// Regression (review): "SyntaxError: Unexpected token ';'" and Node's loader frames, no file named: with the error
// in a module the job imports, its author could not tell which file was broken.
test('a JavaScript job importing a module with a syntax error: JobLoadError names that module, line and column', async () => {
  writeFileSync(path.join(dir, 'broken-helper.mjs'), 'export const ok = 1;\nexport const f = (x) => x * ;\n');
  writeFileSync(path.join(dir, 'uses-helper.mjs'), `import { defineJob } from '${api}';\nimport { f } from './broken-helper.mjs';\nexport default defineJob((env) => { env.fromCollection([1]).map(f).discard(); });\n`);
  await assert.rejects(run(pathToFileURL(path.join(dir, 'uses-helper.mjs'))), (e: Error) => {
    assert.ok(e instanceof JobLoadError, `${e.name}: ${e.message}`);
    assert.match(e.message, /^\/.*\/broken-helper\.mjs:2:\d+: SyntaxError: Unexpected token ';'$/, e.message);
    assert.equal(e.file, path.join(dir, 'uses-helper.mjs'));
    assert.equal((e.cause as Error).name, 'SyntaxError');
    return true;
  });
});

test('a TypeScript job with a syntax error: JobLoadError is tsx\'s file:line:column line, not "Transform failed" and esbuild\'s frames', async () => {
  writeFileSync(path.join(dir, 'broken.ts'), `import { defineJob } from '${api}';\nexport default defineJob((env) => { env.fromCollection([1]).map((x: number) => x * ).discard(); });\n`);
  await assert.rejects(run(pathToFileURL(path.join(dir, 'broken.ts'))), (e: Error) => {
    assert.ok(e instanceof JobLoadError, `${e.name}: ${e.message}`);
    assert.match(e.message, /^.*broken\.ts:2:\d+: ERROR: Unexpected "\)"$/, e.message);
    assert.doesNotMatch(e.message, /Transform failed/);
    return true;
  });
});

test('a job that throws while it loads (no syntax error) keeps its own error', async () => {
  writeFileSync(path.join(dir, 'throws.mjs'), `import { defineJob } from '${api}';\nthrow new RangeError('configuration missing');\n`);
  await assert.rejects(run(pathToFileURL(path.join(dir, 'throws.mjs'))), (e: Error) => {
    assert.equal(e.name, 'RangeError');
    assert.equal(e.message, 'configuration missing');
    return true;
  });
});

// Regression (review): any load error of a .ts job whose message held "exports is not defined" (a CommonJS-style
// helper in an ES module package) or "require()" became the hint to make the job's package "type": "module", which
// it was, and the helper's file and line were left in the cause's stack, which the CLI does not print.
test('a .ts job in a "type": "module" package that fails loading a CommonJS-style helper keeps Node\'s error, naming the helper', async () => {
  writeFileSync(path.join(dir, 'cjs-style-helper.js'), 'exports.factor = 10;\n');
  writeFileSync(path.join(dir, 'uses-cjs-style.ts'), `import { defineJob } from '${api}';\nimport './cjs-style-helper.js';\nexport default defineJob((env) => { env.fromCollection([1]).discard(); });\n`);
  await assert.rejects(run(pathToFileURL(path.join(dir, 'uses-cjs-style.ts'))), (e: Error) => {
    assert.equal(e.name, 'ReferenceError', e.message);
    assert.match(e.message, /exports is not defined/);
    assert.match(e.stack ?? '', /cjs-style-helper\.js:1/);
    return true;
  });
});
