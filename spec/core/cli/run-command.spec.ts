// runCommand in-process (as an embedding program or a test runs it several times): each run leaves the standard
// streams as it found them, but for one EPIPE handler per stream.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCommand } from '../../../core/cli/run-command.js';
import { EXIT_USAGE } from '../../../core/cli/exit-codes.js';
import { captured } from '../../support/captured-output.js';

// Regression: every run added an 'error' listener to stdout and stderr (MaxListenersExceededWarning
// after ten), and a --json run never gave stdout its write back: a second run's report went to stderr.
test('runs in one process: one EPIPE handler per stream, and --json gives stdout its write back', async () => {
  const before = [process.stdout.listenerCount('error'), process.stderr.listenerCount('error')];
  const writes: typeof process.stdout.write[] = [];
  const { out } = await captured(async () => {
    for (let i = 0; i < 12; i++) {
      assert.equal(await runCommand('no/such/job.ts', { json: true, chaining: true, metricsHost: '127.0.0.1', logLevel: 'silent' }), EXIT_USAGE);
      writes.push(process.stdout.write);
    }
  });
  assert.ok(process.stdout.listenerCount('error') <= before[0]! + 1, `${process.stdout.listenerCount('error')} listeners on stdout`);
  assert.ok(process.stderr.listenerCount('error') <= before[1]! + 1, `${process.stderr.listenerCount('error')} listeners on stderr`);
  assert.equal(new Set(writes).size, 1, 'stdout has the same write after every run');
  assert.equal(out.split('\n').filter((l) => l.startsWith('{"job":"no/such/job.ts","error"')).length, 12);
});
