// An idle source across threads: of two unioned sources, one goes silent (its reads find nothing); with
// withIdleness the downstream watermark and event-time timers go on without it; when it comes back with newer
// data, every record reaches the output and every timer fires once, after the watermark passed it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../core/index.js';
import { MAX_WATERMARK } from '../../../core/time/watermark.js';
import { B_RETURN_TS, GO_AT, type Out } from './jobs/idle-source.js';
import { B_TS } from './jobs/idle-union.js';
import { endsWithTest } from '../../support/ends-with-test.js';
import { polledUntil } from '../../support/polled-until.js';

const NA = 1000;
const NB = 20;

// behind: the silent source's assigner behind an exchange, or behind a filter in its chain that drops what the
// source reads while silent (regressions: there it never went idle, and the job never ended).
for (const behind of ['', 'exchange', 'filter'] as const) {
test(`a silent source marked idle does not hold back event time, and loses nothing when it comes back${behind ? ` (its assigner behind ${behind === 'exchange' ? 'an exchange' : 'a filter'})` : ''}`, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-idle-'));
  const h = endsWithTest(t, await run(new URL(`./jobs/idle-source.ts?dir=${encodeURIComponent(dir)}&idle=50&na=${NA}&nb=${NB}${behind ? `&behind=${behind}` : ''}`, import.meta.url), { parallelism: 2 }));
  if (behind === 'exchange') assert.equal(h.plan.tasks.find((t) => t.name.includes('silent-ts'))?.name, 'silent-ts', 'not chained to its source');
  if (behind === 'filter') assert.ok(h.plan.tasks.some((t) => t.name.startsWith('silent') && t.name.includes('no-noise') && t.name.includes('silent-ts')), 'chained behind the filter');
  // Without idleness the job never ends (each source waits for the other's marker): stop it rather than hang.
  const guard = setTimeout(() => void h.cancel(), 45_000);
  const result = await h.result.finally(() => clearTimeout(guard));
  assert.equal(result.cancelled, false, 'the job ended by itself: the silent source was let back and both ended');
  const out = result.collected.out as Out[];

  // The phase change happened: a timer at or after GO_AT fired while the silent source had sent nothing past ts 4.
  assert.ok(existsSync(join(dir, 'b-go')));
  const wmAtGo = Number(readFileSync(join(dir, 'b-go'), 'utf8'));
  assert.ok(wmAtGo >= GO_AT && wmAtGo < B_RETURN_TS, `watermark ${wmAtGo} when the silent source was let back`);

  // Every record, of both sources, exactly once.
  const recs = out.filter((o): o is Out & { kind: 'rec' } => o.kind === 'rec');
  const ids = recs.map((r) => `${r.src}/${r.i}`);
  assert.equal(new Set(ids).size, ids.length, 'no record twice');
  assert.equal(recs.filter((r) => r.src === 'busy').length, NA);
  assert.equal(recs.filter((r) => r.src === 'silent').length, 5 + NB);

  // Every timer (one per distinct key and timestamp) exactly once, and only once the watermark passed it. (With its
  // assigner behind an exchange, records of the returning source may be late at the keyed operator: that exchange
  // splits them over two subtasks, one of which can still be idle downstream while the other's watermark passes
  // them, as in Flink. Their timers still fire, at the latest at the end. A union adds no such hop: last test.)
  const timers = out.filter((o): o is Out & { kind: 'timer' } => o.kind === 'timer');
  const expected = new Set(recs.map((r) => `${r.src === 'busy' ? `a${r.i % 5}` : `b${(r.i < 5 ? r.i : r.i - 5) % 3}`}@${r.ts}`));
  assert.deepEqual(new Set(timers.map((t) => `${t.key}@${t.at}`)), expected);
  assert.equal(timers.length, expected.size);
  for (const t of timers) assert.ok(t.wm >= t.at, `timer ${t.key}@${t.at} at watermark ${t.wm}`);
  // The busy source's timers up to GO_AT fired while the silent one was silent, not at the end of input.
  const early = timers.filter((t) => t.at <= GO_AT && t.wm < MAX_WATERMARK);
  assert.ok(early.length > 0, 'timers fired before the end of input');
});
}

// Regression: the union was a task of its own, whose two subtasks split the returning source's records,
// so a window subtask could get that source's final watermark through one before its records through the other:
// records late in 2 of 5 runs. The union is planned away now (its consumers read its inputs), so each channel holds
// a source's records before its watermarks. Three runs: the race was intermittent.
test('a source back from idleness through a union: none of its records is late, in three runs', { timeout: 120_000 }, async (t) => {
  for (let k = 0; k < 3; k++) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-idle-union-'));
    try {
      const h = endsWithTest(t, await run(new URL(`./jobs/idle-union.ts?dir=${encodeURIComponent(dir)}`, import.meta.url), { parallelism: 2 }));
      assert.ok(!h.plan.tasks.some((t) => t.name.includes('both')), `the union is no task: ${h.plan.tasks.map((t) => t.name).join(' | ')}`);
      const guard = setTimeout(() => void h.cancel(), 45_000);
      const r = await h.result.finally(() => clearTimeout(guard));
      assert.equal(r.cancelled, false, 'the job ended by itself');
      assert.deepEqual(r.collected.late, [], `run ${k}: late records`);
      assert.deepEqual((r.collected.bwins as string[]).sort(), [0, 1, 2, 3, 4].map((i) => `b${i}@${B_TS}:1`), `run ${k}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

// Regression: a watermark assigner's generator starts over after a restore, and a source with
// nothing left never moved event time again: unioned with another, both idle, the windows a failure-free run fires
// (once both go idle, event time goes to the highest either reached) never fired. The assigner now restores the
// watermark it had sent on (the lowest of its old subtasks') and sends it again.
test('idle sources resumed with nothing left to read still close the windows their watermarks had reached', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-idle-restore-'));
  try {
    const stateDir = join(dir, 'state');
    const job = (phase: string): URL => new URL(`./jobs/idle-union-restore.ts?${new URLSearchParams({ dir, phase })}`, import.meta.url);
    const h = endsWithTest(t, await run(job('before'), { parallelism: 1, stateDir, checkpointIntervalMs: 0, onWarning: () => {} }));
    await polledUntil(() => existsSync(join(dir, 'a-done')) && existsSync(join(dir, 'b-done')), 'both sources done', h, 5);
    await h.stopWithSavepoint('sp');
    await h.result;
    const resumed = endsWithTest(t, await run<{ windows: [number, number][] }>(job('after'), { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, checkpointIntervalMs: 50, onWarning: () => {} }));
    const got: [number, number][] = [];
    // Waits for the windows (never a fixed sleep); without the fix they never come, and the test times out.
    for await (const w of resumed.output('windows')) {
      got.push(w);
      if (got.length === 4) break;
    }
    await resumed.cancel();
    assert.deepEqual(got.sort((x, y) => x[0] - y[0]), [[0, 200], [1000, 100], [2000, 100], [3000, 100]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
