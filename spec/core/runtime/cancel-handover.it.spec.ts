// Regression: a cancelled run's threads were terminated once stopGraceMs had passed even while they were handing
// over their collect sinks' records (a post of ~3 M records took longer than the default 5 s on a loaded machine),
// and the result held none of them, though a cancelled run returns what its collect sinks received.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { run, type JobHandle } from '../../../core/index.js';
import { AT } from './jobs/slow-handover.js';
import { endsWithTest } from '../../support/ends-with-test.js';

/** Until the sink has taken the held record (its records-in metric past AT). */
async function untilTaken(h: JobHandle<{ out: { i: number }[] }>): Promise<void> {
  const taken = (): number => h.metrics().operators.filter((o) => o.operator === 'out').reduce((n, o) => n + o.recordsIn, 0);
  const deadline = Date.now() + 60_000;
  while (taken() <= AT) {
    assert.ok(Date.now() < deadline, `the sink did not take record ${AT} within 60 s`);
    await delay(10);
  }
}

test('a cancelled collect run whose handover outlasts stopGraceMs returns every record the sink received, its thread not terminated', { timeout: 120_000 }, async (t) => {
  const release = join(mkdtempSync(join(tmpdir(), 'sluice-handover-')), 'release');
  const warnings: string[] = [];
  const h = endsWithTest(t, await run<{ out: { i: number }[] }>(new URL(`./jobs/slow-handover.ts?release=${encodeURIComponent(release)}`, import.meta.url), {
    parallelism: 1, stopGraceMs: 2000,
    // The handover, blocked in the held record, goes on once the grace period has passed over it (its warning); its
    // parts then move within the next period (2 s: a thread the machine starves for that long would be terminated).
    onWarning: (w) => { warnings.push(w); if (/still hands over/.test(w)) writeFileSync(release, ''); },
  }));
  await untilTaken(h);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  const received = r.metrics.operators.filter((o) => o.operator === 'out').reduce((n, o) => n + o.recordsIn, 0);
  assert.ok(received > AT);
  assert.equal(r.collected.out.length, received, 'every record the sink received');
  assert.equal(r.collected.out[AT]?.i, AT);
  assert.ok(warnings.some((w) => /^worker thread 0 still hands over what its sinks return after the stop .* stopGraceMs \(2000 ms\) has passed: the grace period goes on while the handover moves$/.test(w)), warnings.join(' | '));
  assert.ok(!warnings.some((w) => /terminated \(/.test(w)), warnings.join(' | '));
});

// Regression: a handover blocked for good (a record's getter that does not return) kept the cancel waiting, where
// before the handover was waited for a thread was terminated after stopGraceMs: a cancel must always end.
test('a cancelled collect run whose handover stands still for a whole stopGraceMs is terminated: the cancel ends, without those records', { timeout: 120_000 }, async (t) => {
  const never = join(mkdtempSync(join(tmpdir(), 'sluice-handover-')), 'never-written');
  const warnings: string[] = [];
  const h = endsWithTest(t, await run<{ out: { i: number }[] }>(new URL(`./jobs/slow-handover.ts?release=${encodeURIComponent(never)}`, import.meta.url), {
    parallelism: 1, stopGraceMs: 300, onWarning: (w) => { warnings.push(w); },
  }));
  await untilTaken(h);
  const r = await h.cancel();
  assert.equal(r.cancelled, true);
  assert.ok(warnings.some((w) => /^worker thread 0 did not stop within \d+ ms of the stop \(stopGraceMs 300 ms: the wait goes on only while a handover moves, and none moved for 300 ms: a part too large to copy in that time, or user code that does not return\?\) and was terminated:/.test(w)), warnings.join(' | '));
  assert.ok(!warnings.some((w) => /not written within 60 s/.test(w)), 'terminated, not ended by the getter giving up after 60 s');
  assert.equal(r.collected.out?.length ?? 0, 0, 'the terminated thread\'s records are not in the result');
});

// Regression: the grace period's timer ran before the main thread took in a thread's result that was already queued
// (the main thread busy, e.g. taking in another thread's parts): it saw the handover over (its mark back at 0) and
// the thread not settled, terminated it, and the result lost every record the thread had handed over.
test('a handover that ended while the main thread was busy past stopGraceMs keeps its records', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-handover-'));
  const [release, read] = [join(dir, 'release'), join(dir, 'read')];
  writeFileSync(release, '');
  const warnings: string[] = [];
  const h = endsWithTest(t, await run<{ out: { i: number }[] }>(new URL(`./jobs/slow-handover.ts?release=${encodeURIComponent(release)}&read=${encodeURIComponent(read)}`, import.meta.url), {
    parallelism: 1, stopGraceMs: 300, onWarning: (w) => { warnings.push(w); },
  }));
  await untilTaken(h);
  const cancelled = h.cancel();
  // The main thread stays busy until the handover has read the held record, then three grace periods more: the
  // thread's result is then queued behind its parts when the grace period's timer runs. Busy in a check-phase
  // callback (setImmediate), so that the next turn of the event loop begins with the timers, then the messages.
  let late: Error | undefined;
  setImmediate(() => {
    const busyUntil = Date.now() + 60_000;
    while (!existsSync(read)) if (Date.now() > busyUntil) { late = new Error('the handover did not read the held record within 60 s'); return; }
    const spin = Date.now() + 900;
    while (Date.now() < spin);
  });
  const r = await cancelled;
  if (late) throw late;
  const received = r.metrics.operators.filter((o) => o.operator === 'out').reduce((n, o) => n + o.recordsIn, 0);
  assert.ok(!warnings.some((w) => /terminated \(/.test(w)), warnings.join(' | '));
  assert.equal(r.collected.out?.length ?? 0, received, 'every record the sink received');
});

// Regression: a bounded run's collect sink posts what it holds at its end (a finished sink's tail, one message of
// every record, without a reader); a cancel during that post had the thread terminated after stopGraceMs, and the
// result held none of the records the sink received.
test('a cancel while a finished collect sink posts its records waits for the post, and the result holds them', { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-handover-'));
  const [release, read] = [join(dir, 'release'), join(dir, 'read')];
  const count = 3000;
  const warnings: string[] = [];
  const h = endsWithTest(t, await run<{ out: { i: number }[] }>(new URL(`./jobs/slow-handover.ts?release=${encodeURIComponent(release)}&read=${encodeURIComponent(read)}&count=${count}`, import.meta.url), {
    parallelism: 1, stopGraceMs: 2000,
    onWarning: (w) => { warnings.push(w); if (/still hands over/.test(w)) writeFileSync(release, ''); },
  }));
  // The sink's end is posting its records, blocked in the held record's getter.
  const deadline = Date.now() + 60_000;
  while (!existsSync(read)) {
    assert.ok(Date.now() < deadline, 'the sink did not post its records within 60 s');
    await delay(10);
  }
  const r = await h.cancel();
  assert.ok(warnings.some((w) => /^worker thread 0 still hands over .* the grace period goes on while the handover moves$/.test(w)), warnings.join(' | '));
  assert.ok(!warnings.some((w) => /terminated \(/.test(w)), warnings.join(' | '));
  assert.equal(r.collected.out?.length ?? 0, count, 'every record the sink received');
  assert.equal(r.collected.out?.[AT]?.i, AT);
});

// Regression: when an attempt failed, the other threads stopped as if cancelled and handed their collect sinks'
// records over, which the failed attempt then dropped, and the grace period waited for the copy while it moved:
// a restart waited for millions of records copied for nothing.
test('a failing attempt\'s other threads do not hand their collect sinks\' records over', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-handover-'));
  const [read, release, passed] = ['read', 'release', 'passed'].map((f) => join(dir, f));
  const q = [['read', read], ['release', release], ['passed', passed]].map(([k, v]) => `${k}=${encodeURIComponent(v!)}`).join('&');
  const h = await run<{ out: unknown[] }>(new URL(`./jobs/fails-beside-held.ts?${q}`, import.meta.url), { parallelism: 2, threads: 2, stopGraceMs: 300 });
  await assert.rejects(h.result, /fails beside the held record/);
  assert.ok(existsSync(passed), 'a subtask took the held record');
  assert.ok(!existsSync(read), 'the held record was copied for the failed attempt\'s result');
});
