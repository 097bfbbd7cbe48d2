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

/** A keyed sum of `count` records whose source and reduce have the uids given. */
function job(name: string, source: string, reduce: string, count = 1000): URL {
  const file = path.join(dir, `${name}.ts`);
  writeFileSync(file, `import { defineJob } from '${api}';\nexport default defineJob((env) => {\n`
    + `  env.fromGenerator({ seed: 1, count: ${count} }, (i) => ({ k: i % 10, n: 1 })).name('${source}')\n`
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

// Regression (statedir review): a resume into another job's state directory whose uids partly matched restored
// in silence (the refusal above fires only when none of the state is the job's; the job fingerprint was written and
// never compared): 50,505 of 80,000 records lost, exit 0. The first operator that differs is now named.
test('a resume from a checkpoint written by a job of another shape warns, naming the first operator that differs; the same job does not', { timeout: 60_000 }, async () => {
  const stateDir = path.join(dir, 'shape-state');
  await (await run(job('shape-first', 'gen', 'count'), { parallelism: 1, stateDir, onWarning: () => undefined })).result;
  const differs = (w: string): boolean => /written by a job that differs from this one/.test(w);

  const same: string[] = [];
  await (await run(job('shape-same', 'gen', 'count'), { parallelism: 2, stateDir, resume: true, onWarning: (w) => same.push(String(w)) })).result;
  assert.deepEqual(same.filter(differs), [], 'the same job at another parallelism');

  const other: string[] = [];
  await (await run(job('shape-other', 'gen', 'count', 80_000), { parallelism: 1, stateDir, resume: true, onWarning: (w) => other.push(String(w)) })).result;
  const said = other.filter(differs);
  assert.equal(said.length, 1, other.join('\n'));
  assert.match(said[0]!, new RegExp(`^resuming from checkpoint \\d+ in ${stateDir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}, written by a job that differs from this one: operator 'gen' was \\[source\\|.*count=1000.*\\] there and is \\[source\\|.*count=80000.*\\] in this job\\. If it is another job's state directory, stop this run`));
});
