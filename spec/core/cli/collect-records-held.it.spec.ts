// Runs on: main thread (the test), spawning the real CLI. Regression: `sluice run` kept every record its collect
// sinks delivered, only to print a count at the end: an unbounded job grew without limit, and Ctrl-C waited for
// millions of records to be handed over (22 s for 8.6 M in a review). Now it runs with collect: 'count': each sink
// subtask counts on its thread, and the summary prints the exact count, with no record sent to the CLI.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo, sluice, SluiceProcess } from './sluice-process.js';
import { polledUntil } from '../../support/polled-until.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const api = pathToFileURL(path.join(repo, 'core', 'index.ts')).href;
let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-collect-held-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

const job = (name: string, body: string, imports = ''): string => {
  const file = path.join(dir, name);
  writeFileSync(file, `${imports}import { defineJob } from '${api}';\n\nexport default defineJob((env) => {\n${body}\n});\n`);
  return file;
};

interface Report {
  collected: Record<string, number>;
  cancelled: boolean;
  operators: { operator: string; recordsIn: number }[];
}

test('the summary and --json give each collect sink its exact count, with and without checkpoints', { timeout: 60_000 }, async () => {
  const file = job('counts.ts', `  const n = env.fromGenerator({ seed: 1, count: 30_000 }, (i) => i).name('gen');
  n.collect().name('out');
  n.filter((i: number) => i % 3 === 0).collect().name('thirds');`);
  const plain = await sluice(['run', file, '-p', '2', '--json']);
  assert.equal(plain.code, 0, plain.stderr);
  assert.deepEqual((JSON.parse(plain.stdout) as Report).collected, { out: 30_000, thirds: 10_000 });
  assert.match(plain.stderr, /^ {2}collected: out 30,000, thirds 10,000$/m);
  const checkpointed = await sluice(['run', file, '-p', '2', '--json', '--state-dir', path.join(dir, 'state'), '--checkpoint-interval', '20']);
  assert.equal(checkpointed.code, 0, checkpointed.stderr);
  assert.deepEqual((JSON.parse(checkpointed.stdout) as Report).collected, { out: 30_000, thirds: 10_000 });
  assert.match(checkpointed.stderr, /^ {2}collected: out 30,000, thirds 10,000$/m);
});

// The records never reach the CLI's thread: one that holds a function, which structured clone refuses (the old CLI
// failed the job on it, exit 1, as a collect sink handing it back to a caller does), is counted like the others.
test('no record crosses to the CLI: one that could not be handed back is counted, and the job finishes', { timeout: 60_000 }, async () => {
  const file = job('unclonable.ts', `  env.fromCollection([1, 2, 3, 4]).name('src')
    .map((i: number) => (i === 3 ? { i, f: () => i } : { i })).name('m')
    .collect().name('out');`);
  const r = await sluice(['run', file, '-p', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual((JSON.parse(r.stdout) as Report).collected, { out: 4 });
  assert.match(r.stderr, /^ {2}collected: out 4$/m);
});

test('Ctrl-C on an unbounded job: the summary counts every record its collect sink took', { timeout: 60_000 }, async (t) => {
  const marker = path.join(dir, 'flowing');
  const file = job('unbounded.ts', `  env.fromGenerator({ seed: 1 }, (i) => i).name('gen')
    .map((i: number) => { if (i === 50_000) writeFileSync(${JSON.stringify(marker)}, ''); return i; }).name('mark')
    .collect().name('out');`, "import { writeFileSync } from 'node:fs';\n");
  const p = new SluiceProcess(['run', file, '-p', '2', '--json'], 55_000);
  endsWithTest(t, p.child);
  await p.waitFor(/^running: /m);
  // Written by the job's thread once 50,000 records have gone by: the sink has taken records by then.
  await polledUntil(() => existsSync(marker), 'the marker of record 50,000', { result: p.exited }, 20);
  p.kill('SIGINT');
  const r = await p.exited;
  assert.equal(r.code, 130, r.stderr);
  const report = JSON.parse(r.stdout) as Report;
  assert.equal(report.cancelled, true);
  const taken = report.operators.find((o) => o.operator === 'out')!.recordsIn;
  assert.ok(taken > 0, `the sink took ${taken}`);
  assert.deepEqual(report.collected, { out: taken });
  assert.match(r.stderr, new RegExp(`^ {2}collected: out ${taken.toLocaleString('en-US')}$`, 'm'));
});
