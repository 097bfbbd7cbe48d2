// Window and broadcast state rescaled: a job checkpoints at parallelism 2, is cancelled, resumes at 3, is
// cancelled again, and finishes at 1. Window slots and timers move with their key groups; broadcast state is
// restored whole on every new subtask (its 'broadcast' redistribution). Durable ledger sinks show every result
// exactly once, equal to a failure-free oracle.

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

test('window and broadcast state restore at parallelism 2 -> 3 -> 1: every result exactly once', async () => {
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
    await runUntil(url, stateDir, 3, true, 3);
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
