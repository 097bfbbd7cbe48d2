// Recovery from the outside: a process SIGKILLed while it checkpoints and resumed; a checkpoint restored at
// another parallelism; a store whose files are corrupted, truncated or pruned. Output goes to a durable ledger
// sink (committed transactions as files), so exactly-once is checked across processes, like Jepsen.

import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, openSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, SplitRandom } from '../../../core/index.js';
import { CheckpointStore, pad } from '../../../core/checkpoint/store.js';
import { restartCheckpoint, selectCheckpoint } from '../../../core/checkpoint/restore.js';
import { chunkRefs, encodeManifest, sealManifest, sha256, type Manifest } from '../../../core/checkpoint/manifest.js';
import { crc32 } from '../../../shm/checksum.js';
import { Packr } from 'msgpackr';
import { brokenCounts, readLedger, tally } from './ledger.js';
import type { Update } from './jobs/exactly-once.ts';
import { storeWithDamagedKey } from './fixtures/leveldb-damage.js';
import { generatorReach } from './generator-reach.js';
import { endsWithTest } from '../../support/ends-with-test.js';

const JOB = new URL('./jobs/exactly-once.ts', import.meta.url);
const CHILD = fileURLToPath(new URL('./fixtures/run-job.ts', import.meta.url));

function jobUrl(params: Record<string, string | number>): URL {
  const u = new URL(JOB);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  return u;
}

function oracle(n: number, keys: number): Map<string, number> {
  const r = new SplitRandom();
  const out = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = `k${r.reset(7, i).int(keys)}`;
    out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

/** The ledger holds every record exactly once and the state it reflects equals the oracle's. */
function assertExactlyOnce(ledger: string, n: number, keys: number, what: string): void {
  const updates = readLedger<Update>(ledger);
  assert.deepEqual(tally(updates.map((u) => u.i), n), { lost: 0, duplicated: 0, unexpected: 0 }, `${what}: records in the ledger`);
  assert.deepEqual(brokenCounts(updates), [], `${what}: per-key counts 1, 2, 3, ... exactly once`);
  const final = new Map<string, number>();
  for (const u of updates) final.set(u.key, Math.max(final.get(u.key) ?? 0, u.count));
  assert.deepEqual(final, oracle(n, keys), `${what}: final state equals a failure-free run`);
}

function tmp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'sluice-rec-'));
}

/** Starts the child; resolves lines as they come. */
function child(t: TestContext, url: URL, stateDir: string, parallelism: number, resume: boolean): { proc: ChildProcess; lines: string[]; waitFor(pred: (lines: string[]) => boolean): Promise<void>; exit: Promise<number | null> } {
  const proc = endsWithTest(t, spawn(process.execPath, ['--import', 'tsx', CHILD, url.href, stateDir, String(parallelism), resume ? '1' : '0'], { stdio: ['ignore', 'pipe', 'pipe'] }));
  const lines: string[] = [];
  const waiters: { pred: (l: string[]) => boolean; resolve: () => void }[] = [];
  let buf = '';
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  proc.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { lines.push(buf.slice(0, i)); buf = buf.slice(i + 1); }
    for (const w of waiters.splice(0)) { if (w.pred(lines)) w.resolve(); else waiters.push(w); }
  });
  const exit = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return {
    proc, lines, exit,
    waitFor: (pred) => new Promise((resolve, reject) => {
      if (pred(lines)) { resolve(); return; }
      waiters.push({ pred, resolve });
      void exit.then((code) => reject(new Error(`child exited (${code}) before the expected output; stdout: ${lines.join(' / ')}; stderr: ${stderr.slice(-2000)}`)));
    }),
  };
}

const checkpoints = (lines: string[]): number => lines.filter((l) => l.startsWith('checkpoint ')).length;

test('SIGKILL of a process while it checkpoints, three times, then --resume: every record exactly once', async (t) => {
  const dir = tmp();
  try {
    const n = 60_000;
    const keys = 400;
    const url = jobUrl({ n, keys, rate: 40_000, interval: 15, ledger: path.join(dir, 'ledger') });
    const stateDir = path.join(dir, 'state');
    let kills = 0;
    for (let k = 0; k < 3; k++) {
      const c = child(t, url, stateDir, 2, k > 0);
      // Let a couple of checkpoints complete, then kill while the next is (most likely) being written; at
      // 15 ms intervals one nearly always is. On a slow machine the job may end first: then there is nothing to kill.
      await c.waitFor((l) => checkpoints(l) >= 2 || l.some((x) => x.startsWith('done')));
      if (c.lines.some((x) => x.startsWith('done'))) break;
      c.proc.kill('SIGKILL');
      assert.equal(await c.exit, null, 'killed by the signal');
      kills++;
    }
    assert.ok(kills >= 1, 'the job was killed at least once');
    const last = child(t, url, stateDir, 2, true);
    await last.waitFor((l) => l.some((x) => x.startsWith('done')));
    assert.equal(await last.exit, 0);
    assert.match(last.lines.find((x) => x.startsWith('done'))!, /^done \d+$/, 'the last run resumed from a checkpoint');
    assertExactlyOnce(path.join(dir, 'ledger'), n, keys, 'after three SIGKILLs');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs the ledger job at parallelism 2 until `count` checkpoints have completed, then opens its store: the store,
 * its manifest ids (newest first) and the newest manifest.
 */
async function checkpointed(dir: string, params: { n: number; keys: number; rate: number; unbounded?: 1 }, count: number) {
  const url = jobUrl({ ...params, interval: 15, ledger: path.join(dir, 'ledger') });
  const stateDir = path.join(dir, 'state');
  await runUntil(url, stateDir, 2, false, count);
  const store = await CheckpointStore.open(stateDir);
  const ids = await store.manifestIds();
  const newest = await store.readManifest(ids[0]!);
  return { url, stateDir, store, ids, newest };
}

/** Runs the job embedded until `checkpoints` more have completed, then cancels it. */
/** The formats (first msgpack item) of the keyed-state chunks the newest checkpoint refers to. */
/** Resumes the job at parallelism 2 from `stateDir`: it must restore checkpoint `id` and count every event once. */
async function resumesExactlyOnceFrom(url: URL, stateDir: string, id: number, dir: string, n: number, keys: number, what: string): Promise<void> {
  const h = await run(url, { parallelism: 2, stateDir, resume: true, onWarning: () => {} });
  const r = await h.result;
  assert.equal(r.restoredFrom, id);
  assertExactlyOnce(path.join(dir, 'ledger'), n, keys, what);
}

async function keyedFormats(stateDir: string): Promise<number[]> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const m = await store.readManifest((await store.manifestIds())[0]!);
    const formats = new Set<number>();
    const seals = new Set<number>();
    for (const op of Object.values(m.operators)) {
      for (const g of Object.values(op.keyGroups ?? {})) {
        for (const ref of g.chain) {
          const bytes = await store.getChunk(m.id, ref);
          // The manifest records each keyed chunk's own seal: the CRC-32 of its body.
          assert.ok(ref.sealed === true && ref.crc32 === crc32(bytes, 0, bytes.length - 4), `${ref.key}: ref ${JSON.stringify(ref)}`);
          seals.add(ref.crc32);
          formats.add((new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(bytes.subarray(0, -4)) as number[])[0]!);
        }
      }
    }
    assert.ok(seals.size > 1, 'chunks with different contents have different seals');
    return [...formats].sort();
  } finally {
    await store.close();
  }
}

/** Runs until `count` checkpoints completed that wrote keyed state (a slow start can complete some before any record). */
async function runUntil(url: URL, stateDir: string, parallelism: number, resume: boolean, count: number, columnarState = true, stateFastPaths = true): Promise<number[]> {
  const ids: number[] = [];
  let release!: () => void;
  const enough = new Promise<void>((r) => { release = r; });
  const h = await run(url, { parallelism, stateDir, resume, columnarState, stateFastPaths, onCheckpoint: (c) => { if (c.dirtyEntries > 0 && ids.push(c.id) >= count) release(); }, onWarning: () => {} });
  await Promise.race([enough, h.result]);
  await h.cancel();
  return ids;
}

test('a checkpoint taken at parallelism 2 restores at 3 and then at 1 (key groups and source splits redistributed), across state formats', async () => {
  const dir = tmp();
  try {
    // The first two runs read an unbounded input and stop after 3 checkpoints that wrote state: they cannot find
    // the input ended, however slow the machine (a paced source that falls behind catches up, and a bounded input
    // once ran out before the second run's first checkpoint: it wrote nothing, and proved nothing about formats).
    // The last run is bounded to 40,000 records past what the checkpoint covers.
    const keys = 300;
    const params = { keys, rate: 40_000, interval: 15, ledger: path.join(dir, 'ledger') };
    const url = jobUrl({ ...params, unbounded: 1 });
    const stateDir = path.join(dir, 'state');
    // Rows (format 2, columnarState off), then columns on top of them, then rows again: chains that mix formats.
    await runUntil(url, stateDir, 2, false, 3, false);
    assert.deepEqual(await keyedFormats(stateDir), [2], 'columnarState: false writes rows');
    const written = await runUntil(url, stateDir, 3, true, 3, true);
    assert.equal(written.length, 3, 'the second run completed 3 checkpoints that wrote state');
    assert.ok((await keyedFormats(stateDir)).includes(4), 'the default writes columns (format 4: format 3 and compact columns)');
    const n = (await generatorReach(stateDir)) + 40_000;
    const h = await run(jobUrl({ ...params, n }), { parallelism: 1, stateDir, resume: true, columnarState: false, onWarning: () => {} });
    const r = await h.result;
    assert.ok(r.restoredFrom !== undefined, 'resumed');
    assertExactlyOnce(path.join(dir, 'ledger'), n, keys, 'p2 -> p3 -> p1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('typed state columns (stateSchema) and state objects restore into each other: typed p2 -> objects p3 -> typed p1, the first with stateFastPaths off', async () => {
  const dir = tmp();
  try {
    // Unbounded until the last run, as in the test above.
    const keys = 300;
    const params = { keys, rate: 40_000, interval: 15, ledger: path.join(dir, 'ledger') };
    const stateDir = path.join(dir, 'state');
    // Keys in Maps (stateFastPaths: false), restored later into KeySlots.
    await runUntil(jobUrl({ ...params, typed: 1, unbounded: 1 }), stateDir, 2, false, 3, true, false);
    const written = await runUntil(jobUrl({ ...params, unbounded: 1 }), stateDir, 3, true, 3);
    assert.equal(written.length, 3, 'the second run completed 3 checkpoints that wrote state');
    const n = (await generatorReach(stateDir)) + 40_000;
    const h = await run(jobUrl({ ...params, n, typed: 1 }), { parallelism: 1, stateDir, resume: true, onWarning: () => {} });
    const r = await h.result;
    assert.ok(r.restoredFrom !== undefined, 'resumed');
    assertExactlyOnce(path.join(dir, 'ledger'), n, keys, 'typed p2 -> objects p3 -> typed p1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: the restart strategy restored the same checkpoint again after each such failure, with a warning
// each, before it gave up.
test('state that does not fit its state schema fails a resume at once, naming the savepoint and what to do; no restart', { timeout: 60_000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-schema-'));
  const job = (typed: boolean): URL => new URL(`./jobs/schema-change.ts?typed=${typed ? 1 : 0}`, import.meta.url);
  const stateDir = path.join(dir, 'state');
  let h: Awaited<ReturnType<typeof run>> | undefined;
  try {
    h = await run(job(false), { parallelism: 1, stateDir, checkpointIntervalMs: 100 });
    for await (const _ of h.output('out')) break;
    await h.stopWithSavepoint('sp');
    await h.result;
    const warnings: string[] = [];
    await assert.rejects(
      (async () => { h = await run(job(true), { parallelism: 1, stateDir, resume: { savepoint: 'sp' }, restartStrategy: { type: 'fixed-delay', attempts: 5, delayMs: 0 }, onWarning: (w) => warnings.push(w) }); await h.result; })(),
      (e: Error) => e.name === 'StateSchemaRestoreError'
        && /state schema field 'v' \(i64\) got string \(restoring checkpoint \d+ \(savepoint 'sp'\) from .*: resume from one taken with this job's state schemas, or keep the schema the checkpoint was taken with\)/.test(e.message),
    );
    assert.deepEqual(warnings.filter((w) => /restart/.test(w)), [], 'no restart');
  } finally {
    await h?.cancel().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a checkpoint written in manifest format 1 (a SHA-256 per chunk) still restores, exactly once', async () => {
  const dir = tmp();
  try {
    const n = 30_000;
    const keys = 20_000;
    const { url, stateDir, store, ids, newest } = await checkpointed(dir, { n, keys, rate: 20_000 }, 3);
    await store.deleteManifests(ids.slice(1));
    // Rewrite the newest as the previous version wrote it: format 1, each chunk ref with the SHA-256 of its bytes.
    const sha = new Map<string, string>();
    for (const r of chunkRefs(newest)) sha.set(r.key, sha256((await store.rawGet(r.key))!));
    assert.ok(sha.size > 0);
    const asFormat1 = JSON.parse(JSON.stringify({ ...newest, format: 1 }, (k, v: unknown) => {
      if (k === 'sha256' && typeof v === 'string' && v === newest.sha256) return undefined;
      const ref = v as { key?: unknown; crc32?: unknown; sealed?: unknown } | null;
      if (ref !== null && typeof ref === 'object' && typeof ref.key === 'string' && sha.has(ref.key)) {
        const { crc32: _c, sealed: _s, ...rest } = ref;
        return { ...rest, sha256: sha.get(ref.key) };
      }
      return v;
    })) as Omit<Manifest, 'sha256'>;
    await store.rawPut(`m/${pad(newest.id)}`, encodeManifest(sealManifest(asFormat1)));
    const reread = await store.readManifest(newest.id);
    assert.equal(reread.format, 1);
    assert.ok(chunkRefs(reread).every((r) => r.crc32 === undefined && r.sha256 === sha.get(r.key)), 'every ref carries a SHA-256 only');
    await store.close();
    await resumesExactlyOnceFrom(url, stateDir, newest.id, dir, n, keys, 'restored from a format-1 checkpoint');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('all but the newest retained checkpoint deleted: it still restores (chunks it shares with older ones are kept)', async () => {
  const dir = tmp();
  try {
    // Many keys, few changed per checkpoint: key groups are written as deltas, sharing their full chunks.
    const n = 30_000;
    const keys = 20_000;
    const { url, stateDir, store, ids, newest } = await checkpointed(dir, { n, keys, rate: 20_000 }, 4);
    assert.ok(ids.length >= 2, `several retained checkpoints (${ids.join(', ')})`);
    // Usually the newest shares chunks with older checkpoints (incremental deltas on top of older full chunks);
    // how many depends on how many records each checkpoint saw. Either way it must survive alone.
    const shared = chunkRefs(newest).filter((r) => r.key.startsWith('k/') && !r.key.startsWith(`k/${String(newest.id).padStart(10, '0')}`));
    await store.deleteManifests(ids.slice(1));
    const deleted = await store.collectGarbage([newest], Infinity);
    assert.ok(deleted > 0, 'chunks only older checkpoints used are gone');
    for (const r of shared) assert.ok(await store.rawGet(r.key), `shared chunk ${r.key} kept`);
    await store.close();
    await resumesExactlyOnceFrom(url, stateDir, newest.id, dir, n, keys, 'restored from the only checkpoint left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupted chunk of the newest checkpoint is detected: with its output published, resuming fails clearly; unpublished, the previous one is used', async () => {
  const dir = tmp();
  try {
    const n = 30_000;
    const keys = 300;
    const { url, stateDir, store, ids, newest } = await checkpointed(dir, { n, keys, rate: 40_000 }, 4);
    // A chunk of the newest alone: one it shares with the previous checkpoint would make that one corrupt too, and
    // the fallback below expects it intact (this test failed now and then on a shared `~end` chunk). When the two
    // share every chunk (no key changed between them), the newest's manifest is damaged instead.
    const previous = new Set(chunkRefs(await store.readManifest(ids[1]!)).map((r) => r.key));
    const ref = chunkRefs(newest).find((r) => !previous.has(r.key));
    const key = ref?.key ?? `m/${pad(newest.id)}`;
    const bytes = (await store.rawGet(key))!.slice();
    bytes[bytes.length >> 1]! ^= 0x40;
    await store.rawPut(key, bytes);
    await store.close();
    await assert.rejects(run(url, { parallelism: 2, stateDir, resume: true, onWarning: () => {} }),
      (e: Error) => e.name === 'NoCheckpointError' && new RegExp(`output up to checkpoint ${newest.id} was already published.*checkpoint ${newest.id} is corrupt`).test(e.message));
    // As if the process had died between committing the newest manifest and publishing its output: the published
    // mark still at the previous checkpoint, and none of the transactions first published with the newest one
    // (prepared after the previous checkpoint, or at the end of input) in the ledger.
    writeFileSync(path.join(stateDir, 'PUBLISHED'), JSON.stringify({ checkpointId: ids[1]! }));
    for (const f of readdirSync(path.join(dir, 'ledger'))) {
      // <subtask>-<checkpoint>.json, or <subtask>-end-<id>.json for an end of input (ledger.ts): the end ones were
      // missed here (their names gained an id), left in the ledger, and counted twice now and then.
      const cp = /^\d+-(\d+|end-.*)\.json$/.exec(f)?.[1];
      if (cp === undefined) assert.fail(`a ledger file this test does not know: ${f}`);
      if (cp.startsWith('end') || Number(cp) > ids[1]!) rmSync(path.join(dir, 'ledger', f));
    }
    const warnings: string[] = [];
    const h = await run(url, { parallelism: 2, stateDir, resume: true, onWarning: (m) => warnings.push(m) });
    const r = await h.result;
    assert.ok(r.restoredFrom !== undefined && r.restoredFrom < newest.id, `fell back to an older checkpoint (${r.restoredFrom})`);
    assert.ok(warnings.some((w) => w.includes(`checkpoint ${newest.id} is corrupt`)), 'the corrupt checkpoint was reported');
    assertExactlyOnce(path.join(dir, 'ledger'), n, keys, 'after falling back');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: with every checkpoint corrupt, the error led with the published output and advised resuming
// from a checkpoint explicitly, when none was left to resume from.
test('every checkpoint corrupt, output published: resuming fails, saying no intact checkpoint is left, and naming each problem', async () => {
  const dir = tmp();
  try {
    // Unbounded: a bounded input could run out on a loaded machine, and its final checkpoint then publishes nothing
    // (the ends' transactions went with the checkpoint after each subtask ended): the mark is behind it.
    const { url, stateDir, store, ids } = await checkpointed(dir, { n: 0, keys: 300, rate: 40_000, unbounded: 1 }, 4);
    // One chunk of each checkpoint, each chunk once (checkpoints share chunks: flipped twice, one would be intact).
    const keys = new Set<string>();
    for (const id of ids) keys.add(chunkRefs(await store.readManifest(id)).find((r) => r.key.startsWith('k/'))!.key);
    for (const key of keys) {
      const bytes = (await store.rawGet(key))!.slice();
      bytes[bytes.length >> 1]! ^= 0x40;
      await store.rawPut(key, bytes);
    }
    await store.close();
    await assert.rejects(run(url, { parallelism: 2, stateDir, resume: true, onWarning: () => {} }), (e: Error) => {
      assert.equal(e.name, 'NoCheckpointError');
      assert.match(e.message, new RegExp(`^no intact checkpoint in .*sink output up to checkpoint ${ids[0]} was already published: starting over would publish records twice`));
      for (const id of ids) assert.ok(e.message.includes(`checkpoint ${id} is corrupt`), `names checkpoint ${id}: ${e.message}`);
      assert.doesNotMatch(e.message, /Resume from a checkpoint explicitly/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: an in-process restart loaded the attempt's latest checkpoint with no
// fallback, so a chunk damaged after it was written failed the restart. run() now restarts through this.
test('restartCheckpoint: a damaged latest checkpoint falls back to an older one of the run, never behind published output or before the run began', async () => {
  const dir = tmp();
  try {
    // Unbounded: a paced bounded input could run out on a loaded machine before 4 checkpoints wrote keyed state.
    const { stateDir, store, ids } = await checkpointed(dir, { n: 0, keys: 300, rate: 40_000, unbounded: 1 }, 4);
    const newest = ids[0]!;
    // The newest keyed chunk the latest checkpoint refers to: the latest need not have written one of its own (one
    // that completed before the cancel took effect may have seen no record), so the checkpoint to fall back to is
    // the newest one that does not refer to it, read from the manifests.
    const refs = new Map<number, Set<string>>();
    for (const id of ids) refs.set(id, new Set(chunkRefs(await store.readManifest(id)).map((r) => r.key)));
    const keyed = [...refs.get(newest)!].filter((k) => k.startsWith('k/'));
    const users = (key: string): number => ids.filter((id) => refs.get(id)!.has(key)).length;
    const damaged = keyed.reduce((a, b) => (users(b) < users(a) ? b : a));
    const fallback = ids.find((id) => !refs.get(id)!.has(damaged));
    assert.ok(fallback !== undefined, `an older checkpoint of ${ids.join(', ')} without ${damaged}`);
    const bytes = (await store.rawGet(damaged))!.slice();
    bytes[bytes.length >> 1]! ^= 0x40;
    await store.rawPut(damaged, bytes);
    const floor = ids.at(-1)!;
    const reports: string[] = [];
    writeFileSync(path.join(stateDir, 'PUBLISHED'), JSON.stringify({ checkpointId: fallback }));
    const c = await restartCheckpoint(store, { starts: [] }, newest, floor, true, (m) => reports.push(m));
    assert.equal(c?.manifest.id, fallback, 'the newest intact one');
    assert.ok(reports.some((m) => m.startsWith(`checkpoint ${newest} is corrupt`) && m.endsWith('restarting from an older checkpoint')), reports.join(' | '));
    // Not before what the run started from (an older lineage, e.g. before the savepoint it resumed from).
    await assert.rejects(restartCheckpoint(store, { starts: [] }, newest, newest, false, () => {}), (e: Error) => e.name === 'NoCheckpointError' && e.message.startsWith('no intact checkpoint to restart from'));
    // Not behind output already published.
    writeFileSync(path.join(stateDir, 'PUBLISHED'), JSON.stringify({ checkpointId: newest }));
    await assert.rejects(restartCheckpoint(store, { starts: [] }, newest, floor, true, () => {}), (e: Error) => e.name === 'NoCheckpointError' && e.message.includes(`output up to checkpoint ${newest} was already published, but the newest intact checkpoint to restart from is ${fallback}`));
    // Resuming from one explicitly is the user's choice, and allowed; but it says so (regression: silent).
    const said: string[] = [];
    assert.equal((await selectCheckpoint(store, { checkpoint: fallback }, (m) => said.push(m)))?.manifest.id, fallback);
    assert.deepEqual(said, [`resuming from checkpoint ${fallback}, behind sink output already published up to checkpoint ${newest}: the records between are published again (duplicates)`]);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('truncated or overwritten LevelDB files never restore silently wrong state', async () => {
  const dir = tmp();
  try {
    const n = 20_000;
    const keys = 200;
    for (const damage of ['truncate', 'overwrite'] as const) {
      const url = jobUrl({ n, keys, rate: 40_000, interval: 15, ledger: path.join(dir, damage, 'ledger') });
      const stateDir = path.join(dir, damage, 'state');
      await runUntil(url, stateDir, 2, false, 3);
      // Damage every table and log file of the store.
      for (const f of readdirSync(stateDir).filter((x) => /\.(ldb|log)$/.test(x))) {
        const file = path.join(stateDir, f);
        const size = statSync(file).size;
        if (damage === 'truncate') truncateSync(file, Math.floor(size / 2));
        else { const fd = openSync(file, 'r+'); writeSync(fd, Buffer.alloc(Math.min(size, 4096), 0x5a), 0, Math.min(size, 4096), Math.floor(size / 3)); closeSync(fd); }
      }
      try {
        const h = await run(url, { parallelism: 2, stateDir, resume: true, onWarning: () => {} });
        await h.result;
        // It resumed: then the output must be exactly right.
        assertExactlyOnce(path.join(dir, damage, 'ledger'), n, keys, `${damage}: resumed`);
      } catch (e) {
        // Or it refused, saying why.
        assert.match((e as Error).name, /NoCheckpointError|StateDirError|CorruptCheckpointError/, `${damage}: ${(e as Error).message}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: the state directory's keys were first listed before the run's try, and the error
// was lost there: `run()` never settled (the CLI exited with code 13 and no message) and the store stayed open.
test('a state directory whose keys cannot be listed fails run() with a message naming it', async () => {
  const dir = tmp();
  const stateDir = path.join(dir, 'state');
  await storeWithDamagedKey(stateDir);
  for (const resume of [true, false]) {
    await assert.rejects(run(jobUrl({ n: 100, keys: 5, ledger: path.join(dir, 'ledger') }), { parallelism: 1, stateDir, resume, onWarning: () => {} }),
      (e: Error) => e.name === 'StateDirError' && e.message.includes(stateDir) && /keys cannot be listed/.test(e.message));
  }
  // Closed: another process may open it.
  const store = await CheckpointStore.open(stateDir);
  await store.close();
});

// Regression: one chunk write that failed (a full disk) aborted every later checkpoint of the run,
// even once the disk had room again: the job ran on, committing and publishing nothing. The attempt now fails and a
// restart goes on from the last completed checkpoint.
test('a checkpoint chunk that cannot be written restarts the job from its last checkpoint; later checkpoints complete', { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-chunk-write-'));
  const put = CheckpointStore.prototype.putChunk;
  let failed = 0;
  // The coordinator writes from this process: its first chunk of checkpoint 3 fails, as on a full disk.
  CheckpointStore.prototype.putChunk = function (this: CheckpointStore, key: string, ...rest: [Uint8Array, never?]) {
    if (failed === 0 && key.includes(`/${pad(3)}/`)) { failed++; return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })); }
    return put.call(this, key, ...rest);
  } as typeof put;
  try {
    const warnings: string[] = [];
    let beyond: () => void = () => {};
    const reached = new Promise<void>((resolve) => { beyond = resolve; });
    const h = endsWithTest(t, await run(new URL('./jobs/keyed-counts.ts', import.meta.url), {
      parallelism: 2, stateDir: path.join(dir, 'state'), checkpointIntervalMs: 50, restartStrategy: { type: 'fixed-delay', attempts: 3, delayMs: 10 },
      onWarning: (w) => warnings.push(w), onCheckpoint: (c) => { if (c.id >= 6) beyond(); },
    }));
    await reached;
    await h.cancel();
    assert.equal(failed, 1);
    assert.equal(h.restarts(), 1);
    assert.ok(warnings.some((w) => /a checkpoint chunk could not be written to .* \(ENOSPC: no space left on device, write\).*its disk is full.*; restart 1 in \d+ ms from checkpoint 2/.test(w)), warnings.join(' | '));
  } finally {
    CheckpointStore.prototype.putChunk = put;
    rmSync(dir, { recursive: true, force: true });
  }
});
