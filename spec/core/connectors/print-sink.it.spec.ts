// Runs on: main thread (the test), spawning the real CLI with its stdout in a file. Everything a job's threads
// print (print sinks, console.log) reaches the process's stdout before the job ends.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const job = fileURLToPath(new URL('./jobs/prints.ts', import.meta.url));

// Regression: a worker's stdout reaches the main thread asynchronously, and the pool was ended as soon
// as the tasks returned: with stdout in a file, half of a print sink's lines (one subtask's) were lost in most
// runs at parallelism 2, and all of them now and then at parallelism 1.
test('every line a print sink and console.log write on worker threads reaches stdout, at parallelism 1 and 2', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-print-'));
  try {
    for (let run = 0; run < 3; run++) {
      for (const p of [1, 2]) {
        const file = path.join(dir, `out-${run}-${p}.txt`);
        const fd = openSync(file, 'w');
        const r = spawnSync(process.execPath, ['bin/sluice.mjs', 'run', job, '-p', String(p), '-t', String(p)], { cwd: repo, stdio: ['ignore', fd, 'pipe'] });
        closeSync(fd);
        assert.equal(r.status, 0, String(r.stderr));
        const lines = readFileSync(file, 'utf8').split('\n');
        const recs = lines.filter((l) => /^(\d> )?rec \d+$/.test(l)).map((l) => Number(l.split(' ').at(-1)));
        assert.equal(recs.length, 2000, `run ${run}, parallelism ${p}: ${recs.length} of 2000 lines`);
        assert.equal(new Set(recs).size, 2000);
        assert.deepEqual(lines.filter((l) => l.startsWith('console ')).sort(), ['console 0', 'console 1000', 'console 1500', 'console 500']);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
