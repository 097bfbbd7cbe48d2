// Whole jobs on real threads: allowed lateness and late data. The job's watermarks are carried by its records
// (one source subtask), so the order of records and watermarks at every window subtask is fixed and a plain
// record-by-record simulation of Flink's semantics predicts every firing (re-firings with the updated contents
// included) and exactly which records are late.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { run } from '../../../core/index.js';
import { allLateEvents, type LateParams } from './jobs/late.js';
import { canon, simulateLateness, windowsOfTs } from './oracle.js';

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  n: fc.integer({ min: 300, max: 4000 }),
  keys: fc.integer({ min: 1, max: 5 }),
  step: fc.constantFrom(0.5, 1, 2),
  bound: fc.integer({ min: 0, max: 10 }),
  lateEvery: fc.integer({ min: 2, max: 15 }),
  lateBy: fc.integer({ min: 1, max: 300 }),
  wmEvery: fc.integer({ min: 1, max: 30 }),
  kind: fc.constantFrom('tumbling' as const, 'sliding' as const),
  size: fc.integer({ min: 5, max: 100 }),
  slideDiv: fc.integer({ min: 1, max: 4 }),
  lateness: fc.constantFrom(0, 10, 60),
  parallelism: fc.integer({ min: 1, max: 4 }),
  fast: fc.boolean(),
});

test('allowed lateness re-fires windows and late records reach the late output exactly once (simulated oracle)', async () => {
  let lateSeen = 0;
  let refires = 0;
  await fc.assert(fc.asyncProperty(scenario, async (s) => {
    const p: LateParams = { ...s, slide: Math.max(1, Math.floor(s.size / s.slideDiv)) };
    const q = new URLSearchParams(Object.entries(p).map(([k, v]): [string, string] => [k, String(v)]));
    q.set('fast', s.fast ? '1' : '0');
    const h = await run(new URL(`./jobs/late.ts?${q}`, import.meta.url), { parallelism: s.parallelism, ringBytes: 64 * 1024 });
    const { collected, metrics } = await h.result;
    const events = allLateEvents(p);
    const want = simulateLateness(events, windowsOfTs(p.kind, p.size, p.slide), p.lateness);
    assert.deepEqual(canon(collected.fires), canon(want.fires.map((f) => [f.key, f.start, f.end, f.events.map((e) => e.id).sort((a, b) => a - b)])));
    assert.deepEqual(canon(collected.sums), canon(want.fires.map((f) => [
      f.key, Math.min(...f.events.map((e) => e.id)), f.events.reduce((x, e) => x + e.v, 0), Math.max(...f.events.map((e) => e.ts)),
    ])));
    const lateIds = (collected.late ?? []) as number[];
    assert.equal(new Set(lateIds).size, lateIds.length, 'no late record twice');
    assert.deepEqual([...lateIds].sort((a, b) => a - b), want.late.map((e) => e.id).sort((a, b) => a - b));
    // The same records are late for the reduce window (no late output there): dropped and counted.
    const dropped = metrics.operators.filter((o) => o.operator === 'reduce').reduce((n, o) => n + o.lateRecordsDropped, 0);
    assert.equal(dropped, want.late.length, 'late records dropped by the window without a late output are counted in metrics');
    const toSide = metrics.operators.filter((o) => o.operator === 'process').reduce((n, o) => n + o.sideOutputRecords, 0);
    assert.equal(toSide, want.late.length, 'late records sent to the late output are counted in metrics');
    lateSeen += want.late.length;
    refires += want.fires.length - new Set(want.fires.map((f) => `${f.key}/${f.start}`)).size;
  }), { numRuns: 2, endOnFailure: true, examples: [[{
    seed: 42, n: 3000, keys: 3, step: 1, bound: 5, lateEvery: 5, lateBy: 150, wmEvery: 4, kind: 'tumbling', size: 50, slideDiv: 1, lateness: 60, parallelism: 2, fast: true,
  }], [{
    seed: 43, n: 2000, keys: 2, step: 1, bound: 3, lateEvery: 4, lateBy: 100, wmEvery: 3, kind: 'sliding', size: 40, slideDiv: 2, lateness: 10, parallelism: 3, fast: false,
  }]] });
  // The scenarios must actually exercise what this test is about.
  assert.ok(lateSeen > 0, 'some records were late');
  assert.ok(refires > 0, 'some windows fired again for records within the lateness');
});
