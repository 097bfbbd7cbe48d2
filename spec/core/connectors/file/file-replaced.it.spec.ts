// A bounded file source restarted from a checkpoint after its file was replaced (the same bytes under a new inode:
// restored from a backup, rsync's temp-then-rename, `sed -i`): reading on at the checkpoint's byte offset in another
// file would be silent corruption, so it fails with FileReplacedError; every restart would restore the same
// checkpoint and meet the same file, so the job fails once, without restarts, and the error says the ways out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../../core/index.js';
import { ledgerCounter } from '../../checkpoint/ledger.js';

const JOB = new URL('./jobs/files.ts', import.meta.url);

// Regression: the job restarted from its checkpoint into FileReplacedError until its restarts ran out.
test('bounded, the file replaced (same bytes, another inode) before a restart: the job fails once with FileReplacedError, no more restarts', { timeout: 90_000 }, async () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sluice-replaced-')));
  try {
    const input = path.join(dir, 'in');
    mkdirSync(input);
    const file = path.join(input, 'a.jsonl');
    // Long enough that the gated failure comes while it is read: a checkpoint taken before it is mid-file.
    writeFileSync(file, Array.from({ length: 300_000 }, (_, i) => `${JSON.stringify({ i })}\n`).join(''));
    const ledger = path.join(dir, 'ledger');
    const gate = path.join(dir, 'gate');
    const count = ledgerCounter(ledger);
    const u = new URL(JOB);
    for (const [k, v] of Object.entries({ case: 'eo', in: input, follow: '0', failAt: '0', gate, marker: path.join(dir, 'marker'), ledger, interval: '10' })) u.searchParams.set(k, v);
    const warnings: string[] = [];
    const h = await run(u, {
      parallelism: 1, stateDir: path.join(dir, 'state'), restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 0 },
      // A checkpoint with records committed holds the split opened (its file known) and not at its end.
      onCheckpoint: () => { if (count() > 0) writeFileSync(gate, ''); },
      onWarning: (m) => {
        warnings.push(m);
        // Between the injected failure and its restart (said before the restart's delay starts): the same bytes, a new inode.
        if (/; restart 1 in /.test(m)) {
          writeFileSync(`${file}.tmp`, readFileSync(file));
          renameSync(`${file}.tmp`, file);
        }
      },
    });
    const e = await h.result.then(() => undefined, (err: unknown) => err as Error & { cause?: Error & { code?: string } });
    assert.ok(e !== undefined, `the job finished: ${warnings.join(' | ')}`);
    assert.equal(e.cause?.name, 'FileReplacedError', `${e.message} | ${warnings.join(' | ')}`);
    assert.equal(e.cause.code, 'FILE_REPLACED');
    assert.match(e.cause.message, /--allow-non-restored-state/);
    assert.deepEqual(warnings.filter((w) => /; restart \d+ in /.test(w)).map((w) => /restart (\d+) in/.exec(w)![1]), ['1'], warnings.join(' | '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
