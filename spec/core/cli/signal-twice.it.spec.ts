// Runs on: main thread (the test), spawning the real CLI. A second SIGINT while the first one's cancel waits on a
// job hung in user code: `sluice run` exits at once, 130, and says so.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { repo, SluiceProcess } from './sluice-process.js';
import { polledUntil } from '../../support/polled-until.js';

const api = pathToFileURL(path.join(repo, 'core', 'index.ts')).href;
let dir = '';
before(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-signal-twice-'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

// Regression: the second signal exited without a word (found by the trial of the CLI): no summary, no line saying
// the job was not stopped, nor what the state directory then holds.
test('a second SIGINT exits at once with 130, saying the job was not waited for and what --resume takes', { timeout: 120_000 }, async () => {
  const marker = path.join(dir, 'hung');
  const file = path.join(dir, 'hangs.ts');
  // Record 2000 (2 s in) hangs its thread for good: the first signal's cancel waits for it (stopGraceMs) before ending it.
  writeFileSync(file, `import { writeFileSync } from 'node:fs';\nimport { defineJob } from '${api}';\n`
    + 'export default defineJob((env) => {\n'
    + '  env.fromGenerator({ seed: 1, ratePerSec: 1000 }, (i) => i).name(\'gen\')\n'
    + `    .map((i: number) => { if (i === 2000) { writeFileSync(${JSON.stringify(marker)}, ''); for (;;) { /* hung */ } } return i; }).name('stuck')\n`
    + '    .discard().name(\'sink\');\n});\n');
  const stateDir = path.join(dir, 'state');
  const p = new SluiceProcess(['run', file, '-p', '1', '--state-dir', stateDir], 110_000);
  await p.waitFor(/^running: /m);
  // The job's thread writes the marker as it hangs.
  await polledUntil(() => existsSync(marker), 'the marker of the hung map', { result: p.exited }, 20);
  p.kill('SIGINT');
  await p.waitFor(/^sluice: SIGINT: cancelling the job \(again to exit now\)$/m);
  p.kill('SIGINT');
  const r = await p.exited;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, new RegExp(`^sluice: SIGINT again: exiting now, without waiting for the job to stop \\(as a kill would: --resume goes on from its last completed checkpoint in ${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)$`, 'm'));
  assert.doesNotMatch(r.stderr, / cancelled after /, 'no summary: the job was not waited for');
});
