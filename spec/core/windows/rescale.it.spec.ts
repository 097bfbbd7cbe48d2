// Window and broadcast state rescaled: a job checkpoints at parallelism 2, is cancelled, resumes at 3, is
// cancelled again, and finishes at 1. Window slots and timers move with their key groups; broadcast state is
// restored whole on every new subtask (its 'broadcast' redistribution). Durable ledger sinks show every result
// exactly once, equal to a failure-free oracle. Once with state's fast paths on throughout (broadcast state packed at
// the barrier), once with the middle run's off (it restores packed state and writes it cloned, which the last run
// restores when the middle run completed a checkpoint before the input ran out; the unit specs restore each format
// either way for certain).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../../../core/index.js';
import { readLedger } from '../checkpoint/ledger.js';
import { allEvents, type EventParams } from './jobs/events.js';
import { RULES } from './jobs/rescale.js';
import { canon, windowsOf } from './oracle.js';
import { runUntil } from '../../support/run-until.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { inspectCheckpoint, inspectDir, renderDetail } from '../../../core/cli/inspect.js';

for (const middle of [true, false]) {
  test(`window and broadcast state restore at parallelism 2 -> 3 -> 1: every result exactly once (the middle run's stateFastPaths ${middle ? 'on' : 'off'})`, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-win-rescale-'));
    try {
      const a: EventParams = { seed: 5, n: 20_000, keys: 8, step: 1, bound: 10, burstMs: 100 };
      const size = 50;
      const gap = 15;
      const ledger = path.join(dir, 'ledger');
      const q = new URLSearchParams({ rate: '20000', interval: '15', size: String(size), gap: String(gap), ledger });
      for (const [k, v] of Object.entries(a)) q.set(k, String(v));
      const url = new URL(`./jobs/rescale.ts?${q}`, import.meta.url);
      const stateDir = path.join(dir, 'state');
      await runUntil(url, stateDir, 2, false, 3);
      await runUntil(url, stateDir, 3, true, 3, { stateFastPaths: middle });
      // What inspect says of the broadcast state in the newest checkpoint (the middle run's, or the first's when the
      // job's input ran out before the middle run completed one): a part per subtask, each dealt whole.
      const store = await CheckpointStore.open(stateDir);
      try {
        const newest = (await inspectDir(store, true)).filter((c) => c.status === 'verified')[0]!;
        const detail = await inspectCheckpoint(store, newest.id, { keys: 0, verify: true });
        const alerts = detail.operators.find((o) => o.uid === 'alerts')!;
        const p = alerts.parallelism;
        assert.deepEqual({ ...alerts.operatorState, bytes: alerts.operatorState!.bytes > 0 }, { redistribute: 'broadcast', parts: p, bytes: true });
        assert.match(renderDetail(detail), new RegExp(`alerts, broadcastProcess, parallelism ${p}\\n(.*\\n)*?    operator state: ${p} part\\(s\\), .*, redistributed by broadcast`));
      } finally {
        await store.close();
      }
      const h = await run(url, { parallelism: 1, stateDir, resume: true, ringBytes: 64 * 1024, onWarning: () => {} });
      const r = await h.result;
      assert.ok(r.restoredFrom !== undefined, 'the last run resumed from a checkpoint');
      const events = allEvents(a);
      const tumbling = windowsOf('tumbling', { size, slide: size, gap }, events).map((w) => [w.key, w.start, w.events.reduce((s, e) => s + e.v, 0)]);
      assert.deepEqual(canon(readLedger(path.join(ledger, 'tumbling'))), canon(tumbling), 'tumbling windows');
      const sessions = windowsOf('session', { size, slide: size, gap }, events).map((w) => [w.key, w.start, w.end, w.events.map((e) => e.id).sort((x, y) => x - y)]);
      assert.deepEqual(canon(readLedger(path.join(ledger, 'session'))), canon(sessions), 'session windows');
      const alerts = events.flatMap((e) => RULES.filter((rule) => e.v > rule.over).map((rule) => [e.id, rule.id]));
      assert.deepEqual(canon(readLedger(path.join(ledger, 'alerts'))), canon(alerts), 'broadcast rules: every (event, rule) pair once');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
