// Runs on: main thread (the test), with real jobs on worker threads. A resume into a state directory none of
// whose state belongs to the job (another job's directory) says so, besides the uid advice a changed job gets.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from '../../../core/index.js';

const api = pathToFileURL(path.resolve('core', 'index.ts')).href;
let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-another-job-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A keyed sum of 1,000 records whose source and reduce have the uids given. */
function job(name: string, source: string, reduce: string): URL {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, `import { defineJob } from '${api}';\nexport default defineJob((env) => {\n`
    + `  env.fromGenerator({ seed: 1, count: 1000 }, (i) => ({ k: i % 10, n: 1 })).name('${source}')\n`
    + `    .keyBy((r) => r.k).reduce((a, b) => ({ k: a.k, n: a.n + b.n })).name('${reduce}').discard().name('out');\n});\n`);
  return pathToFileURL(file);
}

// Regression: resuming another job's state directory (the trial of the CLI) said only to give operators stable
// uids or drop the state: advice for a changed job, which would have run this one on without its own state.
test('a resume from a checkpoint holding none of the job\'s state asks whether it is another job\'s state directory', { timeout: 60_000 }, async () => {
  const stateDir = path.join(dir, 'state');
  // Its final checkpoint, at the end of its input, holds the sums and the source's position.
  await (await run(job('first', 'gen', 'count'), { parallelism: 1, stateDir, onWarning: () => undefined })).result;

  const other = await run(job('other', 'src', 'sum'), { parallelism: 1, stateDir, resume: true, onWarning: () => undefined })
    .then(() => assert.fail('resumed another job\'s state'), (e: Error) => e);
  assert.equal(other.name, 'JobDefinitionError');
  assert.match(other.message, /holds state of operator\(s\) 'count', 'gen' that this job does not have \(by uid\), and no operator of this job has state in it: is it another job's state directory\? Each job needs one of its own\. If not, give operators stable uids/);

  // The same job with one operator renamed: the uid advice alone.
  const renamed = await run(job('renamed', 'gen', 'count-v2'), { parallelism: 1, stateDir, resume: true, onWarning: () => undefined })
    .then(() => assert.fail('resumed without the renamed operator\'s state'), (e: Error) => e);
  assert.match(renamed.message, /holds state of operator\(s\) 'count' that this job does not have \(by uid\)\. Give operators stable uids/);
  assert.doesNotMatch(renamed.message, /another job/);
});
