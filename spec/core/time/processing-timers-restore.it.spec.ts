// Processing-time timers through a restore: every record registers one (jobs/ptimers.ts), and each must fire once,
// after a failure and restart from a checkpoint and after a savepoint resumed at another parallelism, with timers
// pending at the savepoint (due by the time the resumed run starts: they fire then). The source holds its end back
// until every timer's ids are in the ledger, since processing-time timers pending at the end of input do not fire.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { readLedger, tally } from '../checkpoint/ledger.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const N = 300;

function setup(delay: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-ptimers-'));
  const ledger = path.join(dir, 'ledger');
  const release = path.join(dir, 'release');
  const url = (extra: Record<string, string | number>): URL => {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries({ n: N, keys: 7, delay, ledger, release, ...extra })) q.set(k, String(v));
    return new URL(`./jobs/ptimers.ts?${q}`, import.meta.url);
  };
  const ids = (): number[] => readLedger<[string, number[]]>(ledger).flatMap(([, xs]) => xs);
  /** Lets the source end once every record's timer has fired and been committed (or after 30 s: then the tally fails). */
  const releaseWhenAllFired = (): void => {
    const until = Date.now() + 30_000;
    const poll = setInterval(() => {
      if (ids().length >= N || Date.now() > until) { writeFileSync(release, ''); clearInterval(poll); }
    }, 20);
  };
  return { dir, url, ids, releaseWhenAllFired, stateDir: path.join(dir, 'state') };
}

test('processing-time timers fire once each through a failure and a restart from a checkpoint', { timeout: 60_000 }, async () => {
  const s = setup(300);
  try {
    const checkpointed = path.join(s.dir, 'checkpointed');
    const h = await run(s.url({ failAt: 150, marker: path.join(s.dir, 'failed'), checkpointed, p: 2 }), {
      stateDir: s.stateDir, onWarning: () => {}, restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 10 },
      onCheckpoint: () => { if (!existsSync(checkpointed)) writeFileSync(checkpointed, ''); },
    });
    s.releaseWhenAllFired();
    const r = await h.result;
    assert.equal(r.restarts, 1);
    assert.deepEqual(tally(s.ids(), N), { lost: 0, duplicated: 0, unexpected: 0 });
  } finally {
    rmSync(s.dir, { recursive: true, force: true });
  }
});

for (const [p1, p2] of [[1, 2], [2, 1]] as const) {
  test(`processing-time timers pending at a savepoint fire once each when it is resumed (parallelism ${p1} -> ${p2})`, { timeout: 60_000 }, async (t) => {
    // 4 s: the stop with a savepoint must come before the first timers are due, also on a loaded machine.
    const s = setup(4000);
    try {
      const h = endsWithTest(t, await run(s.url({ p: p1, holdAt: 200, held: path.join(s.dir, 'never') }), { stateDir: s.stateDir, onWarning: () => {} }));
      await polledUntil(() => h.metrics().operators.filter((o) => o.operator === 'ptimers').reduce((k, o) => k + o.recordsIn, 0) >= 200, '200 records at the timers', h, 2);
      await h.stopWithSavepoint('sp');
      await h.result;
      const before = s.ids().length;
      const h2 = await run(s.url({ p: p2 }), { stateDir: s.stateDir, onWarning: () => {}, resume: { savepoint: 'sp' } });
      s.releaseWhenAllFired();
      await h2.result;
      assert.ok(before < 200, `timers were pending at the savepoint (${before} fired before it)`);
      assert.deepEqual(tally(s.ids(), N), { lost: 0, duplicated: 0, unexpected: 0 });
    } finally {
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
}
