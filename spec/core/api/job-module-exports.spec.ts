// Runs on: main thread (the test). A job module that exports no job: run() refuses it saying what the module
// exports instead, and the fix when a named export is the job.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run, JobDefinitionError } from '../../../core/index.js';

const api = pathToFileURL(path.resolve('core', 'index.ts')).href;
let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-job-exports-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function job(name: string, text: string): URL {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, `import { defineJob } from '${api}';\n${text}\n`);
  return pathToFileURL(file);
}

// Regression: "the job module must export default defineJob(...)" alone, whatever the module held (found by the
// trial of the CLI): `export const job = defineJob(...)` left its author guessing.
test('a job module without a default job says what it exports, and names the job a named export holds', async () => {
  const cases: [string, string, RegExp][] = [
    ['named', 'export const job = defineJob((env) => { env.fromGenerator({ count: 1 }, (i) => i).discard(); });',
      /must export default defineJob\(.*\); it has no default export \(its exports: job\): make 'job' the default export/],
    ['number', 'export default 42;', /must export default defineJob\(.*\); its default export is a number$/],
    ['object', 'export const x = 1;\nexport default { build: () => undefined };', /its default export is an object that is no defineJob\(\.\.\.\) \(its exports: x\)$/],
  ];
  for (const [name, text, message] of cases) {
    await assert.rejects(run(job(name, text)), (e: Error) => {
      assert.ok(e instanceof JobDefinitionError, `${name}: ${e.name}: ${e.message}`);
      assert.match(e.message, message, name);
      if (name !== 'named') assert.doesNotMatch(e.message, /make '/, `${name}: no named export holds a job`);
      return true;
    });
  }
});
