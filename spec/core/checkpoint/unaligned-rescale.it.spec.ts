// An unaligned checkpoint taken under backpressure, with records in flight on a keyed exchange (received and not
// processed by the keyed count, and not yet sent by the generator's output gate), restored at another parallelism
// (core/checkpoint/in-flight-rescale.ts): every record counted exactly once (Jepsen-style: lost, duplicated and
// unexpected all zero), and every key's count as a single-threaded count of the input has it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Packr } from 'msgpackr';
import { run } from '../../../core/index.js';
import { CheckpointStore } from '../../../core/checkpoint/store.js';
import { OUTPUT, SOURCE_HELD, type InFlightRecord } from '../../../core/checkpoint/messages.js';
import { brokenCounts, readLedger, tally } from './ledger.js';
import type { Counted } from './jobs/rescale-keyed.ts';
import type { Fired } from './jobs/rescale-windows.ts';
import type { Seen } from './jobs/rescale-broadcast.ts';

const N = 20_000;
const KEYS = 97;

function job(p: number, ledger: string, marker: string, mid: boolean, genP = false): URL {
  const u = new URL('./jobs/rescale-keyed.ts', import.meta.url);
  for (const [k, v] of Object.entries({ n: N, keys: KEYS, p, ledger, marker, slowMs: 1, interval: 100, mid: mid ? 1 : 0, genP: genP ? 1 : 0 })) u.searchParams.set(k, String(v));
  return u;
}

/**
 * Per checkpoint: how many records `producer`'s gates had not sent, how many the counts had received, and how many
 * the generator had read and not pushed on.
 */
async function inFlightByCheckpoint(stateDir: string, producer: string): Promise<Map<number, { unsent: number; received: number; held: number }>> {
  const store = await CheckpointStore.open(stateDir);
  const by = new Map<number, { unsent: number; received: number; held: number }>();
  try {
    for await (const e of store.entries('f/')) {
      const [, id, uid] = e.key.split('/');
      const records = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack((await store.rawGet(e.key))!) as InFlightRecord[];
      const c = by.get(Number(id)) ?? { unsent: 0, received: 0, held: 0 };
      if (uid === 'gen') c.held += records.filter((r) => r.input === SOURCE_HELD).length;
      if (uid === producer) c.unsent += records.filter((r) => r.input === OUTPUT && r.control === undefined).length;
      if (uid === 'count') c.received += records.filter((r) => r.input >= 0).length;
      by.set(Number(id), c);
    }
  } finally {
    await store.close();
  }
  return by;
}

const CASES = [
  { mid: false, what: '' },
  // The map is rescaled too: what its gates had not sent comes from old subtasks that are gone, and its own input
  // records (behind a rebalance) are dealt whole.
  { mid: true, what: ' behind a rebalanced map rescaled with it' },
  // The generator is rescaled too: records it had read and not pushed on go to the subtask that reads their split on
  // (and alone: at 1 the restore is refused).
  { genP: true, what: ' from a generator rescaled with it (scaled in: refused)' },
];

for (const { mid = false, genP = false, what } of CASES) test(`an unaligned checkpoint with records in flight on a keyed exchange${what} restores at parallelism 2 -> 3 and 2 -> 1, exactly once`, { timeout: 180_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unaligned-rescale-'));
  try {
    const stateDir = path.join(dir, 'state');
    const marker = path.join(dir, 'fast');
    const first = path.join(dir, 'ledger-first');
    let completed = 0;
    const h = await run(job(2, first, marker, mid, genP), {
      stateDir, ringBytes: 4096, retainedCheckpoints: 1000, onWarning: () => {},
      onCheckpoint: () => { if (++completed === 8) void h.cancel(); },
    });
    await h.result.catch(() => undefined);
    const by = await inFlightByCheckpoint(stateDir, mid ? 'mid' : 'gen');
    const both = [...by].filter(([, c]) => c.unsent > 0 && c.received > 0 && (!genP || c.held > 0)).map(([id]) => id);
    assert.ok(both.length > 0, `a checkpoint holds all kinds of records in flight: ${JSON.stringify([...by])}`);
    const chosen = both[0]!;
    // From here on the sink is fast: the resumed runs go to their end.
    writeFileSync(marker, '');
    const oracle = new Map<string, number>();
    for (let i = 0; i < N; i++) oracle.set(`k${i % KEYS}`, (oracle.get(`k${i % KEYS}`) ?? 0) + 1);
    // What the first run published before that checkpoint (a resume publishes the checkpoint's own again).
    const upTo = readdirSync(first).filter((f) => /^\d+-\d+\.json$/.test(f) && Number(f.split('-')[1]!.slice(0, -5)) < chosen)
      .flatMap((f) => JSON.parse(readFileSync(path.join(first, f), 'utf8')) as Counted[]);
    for (const p of [3, 1]) {
      const copy = path.join(dir, `state-${p}`);
      cpSync(stateDir, copy, { recursive: true });
      const ledger = path.join(dir, `ledger-${p}`);
      if (genP && p === 1) {
        // Scaled in, the held records of one split would be pushed ahead of the other's: their event time could make
        // its records late, so the restore is refused (regression: it ran, and a windowed job lost records as late).
        await assert.rejects(async () => (await run(job(p, ledger, marker, mid, genP), { stateDir: copy, resume: { checkpoint: chosen }, ringBytes: 4096, onWarning: () => {} })).result,
          /'gen' \(subtask \d\) holds records its source had read and not yet pushed on, and its parallelism changed from 2 to 1: no subtask reads on exactly the splits they came from/);
        continue;
      }
      const r = await (await run(job(p, ledger, marker, mid, genP), { stateDir: copy, resume: { checkpoint: chosen }, ringBytes: 4096, onWarning: () => {} })).result;
      assert.equal(r.restoredFrom, chosen);
      const all = [...upTo, ...readLedger<Counted>(ledger)];
      assert.deepEqual(tally(all.map((u) => u.i), N), { lost: 0, duplicated: 0, unexpected: 0 }, `at parallelism ${p}`);
      assert.deepEqual(brokenCounts(all), [], `at parallelism ${p}: every key's counts read 1, 2, 3, ...`);
      const last = new Map<string, number>();
      for (const u of all) last.set(u.key, Math.max(last.get(u.key) ?? 0, u.count));
      assert.deepEqual(new Map([...last].sort()), new Map([...oracle].sort()), `at parallelism ${p}: the keyed counts`);
      if (!mid) {
        // One channel carried each key of a split (a generator subtask's residue class of i) to its count, in
        // order: the count saw them so, held and in-flight records before those read after the restore.
        const lanes = new Map<string, number[]>();
        for (const u of [...all].sort((x, y) => x.count - y.count)) {
          const lane = `${u.key}/${genP ? u.i % 2 : 0}`;
          lanes.set(lane, [...(lanes.get(lane) ?? []), u.i]);
        }
        const misordered = [...lanes].filter(([, is]) => is.some((i, x) => x > 0 && i < is[x - 1]!)).map(([lane]) => lane);
        assert.deepEqual(misordered, [], `at parallelism ${p}: keys whose records of a split were counted out of order`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('event-time windows from an unaligned checkpoint whose source held records: scaled out to 3, no record late and every window fired once; scaled in to 1, refused (regression: 1,001 of 10,000 records went late)', { timeout: 180_000 }, async () => {
  const n = 10_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unaligned-windows-'));
  const windowsJob = (p: number, ledger: string, marker: string): URL => {
    const u = new URL('./jobs/rescale-windows.ts', import.meta.url);
    for (const [k, v] of Object.entries({ n, p, ledger, marker })) u.searchParams.set(k, String(v));
    return u;
  };
  try {
    const stateDir = path.join(dir, 'state');
    const marker = path.join(dir, 'fast');
    const first = path.join(dir, 'ledger-first');
    let completed = 0;
    const h = await run(windowsJob(2, first, marker), {
      stateDir, ringBytes: 4096, retainedCheckpoints: 1000, onWarning: () => {},
      onCheckpoint: () => { if (++completed === 8) void h.cancel(); },
    });
    await h.result.catch(() => undefined);
    const by = await inFlightByCheckpoint(stateDir, 'mid');
    const held = [...by].filter(([, c]) => c.held > 0).map(([id]) => id);
    assert.ok(held.length > 0, `a checkpoint holds records the generator had read and not pushed on: ${JSON.stringify([...by])}`);
    const chosen = held[0]!;
    writeFileSync(marker, '');
    const before = (d: string): Fired[] => (existsSync(d) ? readdirSync(d) : []).filter((f) => /^\d+-\d+\.json$/.test(f) && Number(f.split('-')[1]!.slice(0, -5)) < chosen)
      .flatMap((f) => JSON.parse(readFileSync(path.join(d, f), 'utf8')) as Fired[]);
    const resume = async (p: number, ledger: string) => {
      const copy = path.join(dir, `state-${p}`);
      cpSync(stateDir, copy, { recursive: true });
      return (await run(windowsJob(p, ledger, marker), { stateDir: copy, resume: { checkpoint: chosen }, ringBytes: 4096, onWarning: () => {} })).result;
    };
    const ledger = path.join(dir, 'ledger-3');
    assert.equal((await resume(3, ledger)).restoredFrom, chosen);
    const fires = [...before(first), ...readLedger<Fired>(ledger)];
    const late = [...before(`${first}-late`), ...(existsSync(`${ledger}-late`) ? readLedger<Fired>(`${ledger}-late`) : [])];
    assert.deepEqual(late.flatMap((f) => f.ids), [], 'no record late');
    const windows = fires.map((f) => `${f.key}@${f.start}`);
    assert.deepEqual(windows.filter((w, i) => windows.indexOf(w) !== i), [], 'every window fired once');
    assert.deepEqual(tally(fires.flatMap((f) => f.ids), n), { lost: 0, duplicated: 0, unexpected: 0 });
    await assert.rejects(resume(1, path.join(dir, 'ledger-1')), /'gen' \(subtask \d\) holds records its source had read and not yet pushed on, and its parallelism changed from 2 to 1/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a two-input keyed operator (connect, two key selectors) and a side output keyed onward, from an unaligned checkpoint, restore at 2 -> 3 and 2 -> 1 exactly once', { timeout: 180_000 }, async () => {
  const n = 10_000;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unaligned-connect-'));
  const connectJob = (p: number, ledger: string, marker: string): URL => {
    const u = new URL('./jobs/rescale-connect.ts', import.meta.url);
    for (const [k, v] of Object.entries({ n, p, ledger, marker })) u.searchParams.set(k, String(v));
    return u;
  };
  try {
    const stateDir = path.join(dir, 'state');
    const marker = path.join(dir, 'fast');
    const first = path.join(dir, 'ledger-first');
    let completed = 0;
    const h = await run(connectJob(2, first, marker), {
      stateDir, ringBytes: 4096, retainedCheckpoints: 1000, onWarning: () => {},
      onCheckpoint: () => { if (++completed === 8) void h.cancel(); },
    });
    await h.result.catch(() => undefined);
    // The checkpoint with records in flight into the count on most of its inputs.
    const inputs = new Map<number, Set<number>>();
    const store = await CheckpointStore.open(stateDir);
    try {
      for await (const e of store.entries('f/')) {
        const [, id, uid] = e.key.split('/');
        if (uid !== 'count') continue;
        const records = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack((await store.rawGet(e.key))!) as InFlightRecord[];
        const s = inputs.get(Number(id)) ?? new Set<number>();
        for (const r of records) if (r.input >= 0) s.add(r.input);
        inputs.set(Number(id), s);
      }
    } finally {
      await store.close();
    }
    const ranked = [...inputs].sort((x, y) => y[1].size - x[1].size);
    assert.ok(ranked.length > 0 && ranked[0]![1].size > 0, `a checkpoint holds records in flight into the count: ${JSON.stringify(ranked.map(([id, s]) => [id, [...s]]))}`);
    const chosen = ranked[0]![0];
    writeFileSync(marker, '');
    const before = (d: string): Counted[] => readdirSync(d).filter((f) => /^\d+-\d+\.json$/.test(f) && Number(f.split('-')[1]!.slice(0, -5)) < chosen)
      .flatMap((f) => JSON.parse(readFileSync(path.join(d, f), 'utf8')) as Counted[]);
    for (const p of [3, 1]) {
      const copy = path.join(dir, `state-${p}`);
      cpSync(stateDir, copy, { recursive: true });
      const ledger = path.join(dir, `ledger-${p}`);
      const r = await (await run(connectJob(p, ledger, marker), { stateDir: copy, resume: { checkpoint: chosen }, ringBytes: 4096, onWarning: () => {} })).result;
      assert.equal(r.restoredFrom, chosen);
      for (const side of ['main', 'side']) {
        const all = [...before(`${first}-${side}`), ...readLedger<Counted>(`${ledger}-${side}`)];
        assert.deepEqual(tally(all.map((u) => u.i), 2 * n), { lost: 0, duplicated: 0, unexpected: 0 }, `${side} at parallelism ${p}`);
        assert.deepEqual(brokenCounts(all), [], `${side} at parallelism ${p}: every key's counts read 1, 2, 3, ...`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('broadcast records in flight into a keyed broadcast function scaled in (3 -> 2): each subtask goes on from its own place in the broadcast stream, every rule once and its state growing 1, 2, 3, ...; scaled out (3 -> 4), refused', { timeout: 180_000 }, async () => {
  const n = 6000;
  const m = 400;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-unaligned-broadcast-'));
  const broadcastJob = (p: number, ledger: string, marker: string): URL => {
    const u = new URL('./jobs/rescale-broadcast.ts', import.meta.url);
    for (const [k, v] of Object.entries({ n, m, p, ledger, marker })) u.searchParams.set(k, String(v));
    return u;
  };
  try {
    const stateDir = path.join(dir, 'state');
    const marker = path.join(dir, 'fast');
    const first = path.join(dir, 'ledger-first');
    let completed = 0;
    const h = await run(broadcastJob(3, first, marker), {
      stateDir, ringBytes: 4096, retainedCheckpoints: 1000, onWarning: () => {},
      onCheckpoint: () => { if (++completed === 8) void h.cancel(); },
    });
    await h.result.catch(() => undefined);
    // A checkpoint where subtasks 0 and 1 had received different numbers of rules they had not processed: their
    // broadcast states differ there, so one restored with the other's would break its run of sizes.
    const received = new Map<number, number[]>();
    const store = await CheckpointStore.open(stateDir);
    try {
      for await (const e of store.entries('f/')) {
        const [, id, uid, sub] = e.key.split('/');
        if (uid !== 'apply') continue;
        const records = new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack((await store.rawGet(e.key))!) as InFlightRecord[];
        const l = received.get(Number(id)) ?? [0, 0, 0];
        l[Number(sub)] = records.filter((r) => r.input === 1).length;
        received.set(Number(id), l);
      }
    } finally {
      await store.close();
    }
    const chosen = [...received].find(([, l]) => l[0] !== l[1])?.[0];
    assert.ok(chosen !== undefined, `a checkpoint where subtasks 0 and 1 hold different numbers of rules received: ${JSON.stringify([...received])}`);
    writeFileSync(marker, '');
    const before = (readdirSync(first)).filter((f) => /^\d+-\d+\.json$/.test(f) && Number(f.split('-')[1]!.slice(0, -5)) < chosen)
      .flatMap((f) => JSON.parse(readFileSync(path.join(first, f), 'utf8')) as Seen[]);
    const resume = async (p: number, ledger: string) => {
      const copy = path.join(dir, `state-${p}`);
      cpSync(stateDir, copy, { recursive: true });
      return (await run(broadcastJob(p, ledger, marker), { stateDir: copy, resume: { checkpoint: chosen }, ringBytes: 4096, onWarning: () => {} })).result;
    };
    const ledger = path.join(dir, 'ledger-2');
    assert.equal((await resume(2, ledger)).restoredFrom, chosen);
    const all = [...before, ...readLedger<Seen>(ledger)];
    assert.deepEqual(tally(all.filter((s) => s.kind === 'e').map((s) => s.id), n), { lost: 0, duplicated: 0, unexpected: 0 }, 'events');
    for (const sub of [0, 1]) {
      const rules = all.filter((s) => s.kind === 'l' && s.sub === sub);
      assert.deepEqual(tally(rules.map((s) => s.id), m), { lost: 0, duplicated: 0, unexpected: 0 }, `rules seen by subtask ${sub}`);
      assert.deepEqual(brokenCounts(rules.map((s) => ({ key: String(sub), count: s.size }))), [], `subtask ${sub}: its broadcast state grew 1, 2, 3, ... over both runs`);
    }
    await assert.rejects(resume(4, path.join(dir, 'ledger-4')), /on a broadcast exchange from 'rules': each subtask was at its own place in the broadcast stream, and a subtask added by the rescale has none to start from/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
