// Tuple keys in whole jobs: a rolling reduce, a process function with state and timers, a window and a two-input
// connect, all keyed by tuples, equal to a single-threaded oracle at parallelism 2; and restored from checkpoints
// at other parallelisms (2 -> 3 -> 1), each key's state exact (tuples must reach the same key group every time).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OperatorError, run, type DeadLetter } from '../../../core/index.js';
import { readLedger } from '../checkpoint/ledger.js';
import { allEvents, type EventParams } from '../windows/jobs/events.js';
import { canon } from '../windows/oracle.js';
import { inspectCommand } from '../../../core/cli/inspect.js';
import { captured } from '../../support/captured-output.js';
import { BUCKET, tupleOf } from './jobs/tuple-keys.js';
import { runUntil } from '../../support/run-until.js';

const A: EventParams = { seed: 5, n: 12_000, keys: 4, step: 1, bound: 10, burstMs: 100 };
const B: EventParams = { ...A, seed: 9, n: 6_000 };
const SIZE = 50;

function jobUrl(ledger: string): URL {
  const q = new URLSearchParams({ rate: '12000', interval: '15', size: String(SIZE), ledger });
  for (const [k, v] of Object.entries(A)) q.set(k, String(v));
  for (const [k, v] of Object.entries(B)) q.set(`b.${k}`, String(v));
  return new URL(`./jobs/tuple-keys.ts?${q}`, import.meta.url);
}

/** Adds `v` under `key` (a tuple compared by value: its JSON). */
function add(m: Map<string, number>, key: unknown[], v: number): void {
  const k = JSON.stringify(key);
  m.set(k, (m.get(k) ?? 0) + v);
}

/** Every sink's output against the oracle: the events folded one by one on this thread. */
function checkOutputs(ledger: string): void {
  const a = allEvents(A);
  const b = allEvents(B);

  // Rolling reduce: per key, every count 1..n once, and the last one carries the key's sum.
  const n = new Map<string, number>();
  const sum = new Map<string, number>();
  for (const e of a) { add(n, tupleOf(e), 1); add(sum, tupleOf(e), e.v); }
  assert.ok(n.size > 4 * 8, `the keys are tuples that '|' would merge: ${n.size}`);
  const rows = readLedger<[unknown[], number, number]>(path.join(ledger, 'reduce'));
  const counts = new Map<string, number[]>();
  const last = new Map<string, number>();
  for (const [key, count, s] of rows) {
    assert.ok(Array.isArray(key), `reduce: key ${JSON.stringify(key)}`);
    const k = JSON.stringify(key);
    (counts.get(k) ?? counts.set(k, []).get(k)!).push(count);
    if (count === n.get(k)) last.set(k, s);
  }
  assert.deepEqual(new Set(counts.keys()), new Set(n.keys()), 'reduce: the keys');
  for (const [k, cs] of counts) assert.deepEqual(cs.sort((x, y) => x - y), Array.from({ length: n.get(k)! }, (_, i) => i + 1), `reduce: counts of ${k}`);
  assert.deepEqual(last, sum, 'reduce: each key\'s sum');

  // Process function: one row per (key, bucket) with the bucket's sum, from its timer.
  const buckets = new Map<string, number>();
  for (const e of a) add(buckets, [tupleOf(e), Math.floor(e.ts / BUCKET)], e.v);
  const bucketRows = [...buckets].map(([k, v]) => [...(JSON.parse(k) as unknown[]), v]);
  assert.deepEqual(canon(readLedger(path.join(ledger, 'buckets'))), canon(bucketRows), 'process: state and timers per tuple key');

  // Window: [key, start, sum] per key and tumbling window.
  const windows = new Map<string, number>();
  for (const e of a) add(windows, [tupleOf(e), Math.floor(e.ts / SIZE) * SIZE], e.v);
  const windowRows = [...windows].map(([k, v]) => [...(JSON.parse(k) as unknown[]), v]);
  assert.deepEqual(canon(readLedger(path.join(ledger, 'tumbling'))), canon(windowRows), 'window: per tuple key');
  assert.deepEqual(canon(readLedger(path.join(ledger, 'combined'))), canon(windowRows), 'window, combineLocally: per tuple key');

  // Connect: per key, the sum of each side (0 for a side without records).
  const left = new Map<string, number>();
  const right = new Map<string, number>();
  for (const e of a) add(left, tupleOf(e), e.v);
  for (const e of b) add(right, tupleOf(e), e.v);
  const keys = new Set([...left.keys(), ...right.keys()]);
  const connected = [...keys].map((k) => [JSON.parse(k) as unknown, left.get(k) ?? 0, right.get(k) ?? 0]);
  assert.deepEqual(canon(readLedger(path.join(ledger, 'connected'))), canon(connected), 'connect: both sides keyed by tuples');
}

/** `sluice inspect` shows a checkpoint's sample keys as the tuples, not their canonical strings. */
async function sampledKeysAreTuples(stateDir: string): Promise<void> {
  const list = await captured(() => inspectCommand(stateDir, { keys: 0, verify: true, json: true }));
  const ids = (JSON.parse(list.out) as { checkpoints: { id: number }[] }).checkpoints.map((c) => c.id);
  const detail = await captured(() => inspectCommand(stateDir, { checkpoint: Math.max(...ids), keys: 5, verify: true, json: true }));
  const ops = (JSON.parse(detail.out) as { checkpoint: { operators: { uid: string; keyed: { samples: { key: string }[] } | null }[] } }).checkpoint.operators;
  const samples = ops.find((o) => o.uid === 'reduce')!.keyed!.samples;
  assert.ok(samples.length > 0, detail.out);
  for (const s of samples) assert.match(s.key, /^\["k\d(\|x)?","(x\|)?y",\d,(true|false)\]$/, detail.out);
}

test('tuple keys at parallelism 2: reduce, process with state and timers, window, connect equal the oracle', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-tuple-keys-'));
  try {
    const ledger = path.join(dir, 'ledger');
    const h = await run(jobUrl(ledger), { parallelism: 2, stateDir: path.join(dir, 'state'), ringBytes: 64 * 1024, onWarning: () => {} });
    await h.result;
    checkOutputs(ledger);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tuple keys restored at parallelism 2 -> 3 -> 1: every key\'s state exact, every result once', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-tuple-rescale-'));
  try {
    const ledger = path.join(dir, 'ledger');
    const url = jobUrl(ledger);
    const stateDir = path.join(dir, 'state');
    await runUntil(url, stateDir, 2, false, 3);
    await sampledKeysAreTuples(stateDir);
    await runUntil(url, stateDir, 3, true, 3);
    const h = await run(url, { parallelism: 1, stateDir, resume: true, ringBytes: 64 * 1024, onWarning: () => {} });
    const r = await h.result;
    assert.ok(r.restoredFrom !== undefined, 'the last run resumed from a checkpoint');
    checkOutputs(ledger);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const BAD = new URL('./jobs/bad-tuple-keys.ts', import.meta.url);
const badJob = (policy: string): URL => { const u = new URL(BAD); u.searchParams.set('policy', policy); return u; };

test("a tuple key with a null part, a nested array or no parts fails the job under 'fail', naming the keyBy by the operator it feeds, then the one that emitted the record", async () => {
  const h = await run(badJob('fail'), { parallelism: 2 });
  await assert.rejects(h.result, (e: unknown) => {
    assert.ok(e instanceof OperatorError, String(e));
    assert.equal(e.operator, 'parse');
    assert.match(e.message, /the key selector of the keyBy into 'keyed' \(after 'parse', subtask \d\) rejected a record: a tuple key('s parts must be strings, numbers, bigints or booleans, got (null at index 1|an array at index 1)| must have at least one part)/);
    return true;
  });
});

test("bad tuple keys follow the emitting operator's 'drop' and 'dead-letter' policies; the good ones reach the keyed operator as tuples", async () => {
  const good = [1, 2, 3, 5, 6, 8, 10].map((id) => [[`u${id % 3}`, id % 2], id]);
  const dropped = await (await run(badJob('drop'), { parallelism: 2 })).result;
  assert.deepEqual(canon(dropped.collected['keyed-out']), canon(good));
  const dead = await (await run(badJob('dead-letter'), { parallelism: 2 })).result;
  assert.deepEqual(canon(dead.collected['keyed-out']), canon(good));
  const letters = dead.collected['parse-dead'] as DeadLetter[];
  assert.deepEqual(letters.map((d) => (d.raw as { id: number }).id).sort((x, y) => x - y), [4, 7, 9]);
  assert.ok(letters.every((d) => d.operator === 'parse' && /^the key selector of the keyBy into 'keyed' rejected a record: a tuple key/.test(d.error.message)), JSON.stringify(letters[0]));
  // A timer that threw: its dead letter names the key as the tuple, not its canonical form.
  const timerLetters = dead.collected['timers-dead'] as DeadLetter[];
  assert.deepEqual(timerLetters.map((d) => (d.raw as { key: unknown }).key), [['u1', 1]]);
});
