// The hot-path micro-benchmarks run in their smallest mode (--quick, a few seconds each) and print the report that
// /work/shared/benchmark-json.md describes: exactly one JSON object on stdout, every row with the fields the doc
// names, engines from its list, and rows of one benchmark that did the same work (fast path on and off, one
// codec or another) carrying equal outputRows and outputChecksum.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../', import.meta.url));

const FIELDS = ['benchmark', 'engine', 'parallelism', 'repetitions', 'eventsPerSec', 'p50Us', 'p99Us', 'rssMB', 'outputRows', 'outputChecksum'];
const ENGINE = /^(sluice(\..+)?|handwritten|rxjs|node-streams|handwritten-x2|ring-typed|ring-generic|ring-spin|ring-park|postMessage|postMessage-batched)$/;

interface Row { [field: string]: unknown; benchmark: string; engine: string; outputRows: number | null; outputChecksum: string | null }

async function report(file: string): Promise<{ machine: Record<string, unknown>; results: Row[] }> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', `benchmarks/${file}`, '--quick', '--json'], { cwd: root, maxBuffer: 16 << 20, timeout: 120_000 });
  return JSON.parse(stdout) as { machine: Record<string, unknown>; results: Row[] };
}

function checkShape(r: { machine: Record<string, unknown>; results: Row[] }, benchmarks: readonly string[]): void {
  assert.deepEqual(Object.keys(r).sort(), ['machine', 'results']);
  assert.equal(typeof r.machine.cpus, 'number');
  assert.equal(typeof r.machine.node, 'string');
  assert.equal(typeof r.machine.model, 'string');
  assert.deepEqual([...new Set(r.results.map((x) => x.benchmark))].sort(), [...benchmarks].sort());
  for (const row of r.results) {
    for (const f of FIELDS) assert.ok(f in row, `${row.benchmark}/${row.engine}: no ${f}`);
    assert.match(row.engine, ENGINE);
    assert.equal(row.parallelism, 1);
    assert.ok(Number.isInteger(row.repetitions) && (row.repetitions as number) >= 1);
    for (const f of ['eventsPerSec', 'p50Us', 'p99Us', 'rssMB']) assert.ok(Number.isFinite(row[f]) && (row[f] as number) > 0, `${row.benchmark}/${row.engine}: ${f} = ${String(row[f])}`);
    assert.ok(Number.isInteger(row.outputRows) && row.outputRows! > 0, `${row.benchmark}/${row.engine}: outputRows`);
    assert.match(String(row.outputChecksum), /^[0-9a-f]{8}$/);
  }
  const byBench = new Map<string, Row[]>(); // not Map.groupBy: the engine supports Node 20
  for (const x of r.results) byBench.set(x.benchmark, [...(byBench.get(x.benchmark) ?? []), x]);
  for (const [b, rows] of byBench) {
    assert.ok(rows.length >= 2, `${b}: a single row, nothing compared`);
    assert.equal(new Set(rows.map((x) => x.engine)).size, rows.length, `${b}: an engine twice`);
    assert.deepEqual(new Set(rows.map((x) => `${x.outputRows}/${x.outputChecksum}`)).size, 1, `${b}: outputs differ: ${rows.map((x) => `${x.engine} ${x.outputRows}/${x.outputChecksum}`).join(', ')}`);
  }
}

test('ring.ts: ring blocks and channels of bids', async () => {
  const r = await report('ring.ts');
  checkShape(r, ['ring.block.b1', 'ring.block.b64', 'ring.block.b1024', 'channel.bid.b1', 'channel.bid.b64', 'channel.bid.b1024']);
  assert.deepEqual(new Set(r.results.filter((x) => x.benchmark.startsWith('channel.')).map((x) => x.engine)), new Set(['ring-typed', 'ring-generic', 'sluice.generic-batch-frames']));
});

test('gates.ts: output gate, rings, input gate', async () => {
  checkShape(await report('gates.ts'), ['gates.forward', 'gates.hash2', 'gates.hash2.checkpointing']);
});

test('state-handles.ts: value, list and map handles, and handles asked for by name, with and without a TTL (fast paths on and off)', async () => {
  const r = await report('state-handles.ts');
  checkShape(r, ['state.value', 'state.declared', 'state.list', 'state.map']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.no-fast-paths', 'sluice.ttl', 'sluice.ttl-no-fast-paths']));
  // The fast paths change no result.
  const sig = (b: string, e: string): string => { const x = r.results.find((y) => y.benchmark === b && y.engine === e)!; return `${x.outputRows}/${x.outputChecksum}`; };
  for (const b of ['state.value', 'state.declared', 'state.list', 'state.map']) {
    assert.equal(sig(b, 'sluice.no-fast-paths'), sig(b, 'sluice'), b);
    assert.equal(sig(b, 'sluice.ttl-no-fast-paths'), sig(b, 'sluice.ttl'), b);
  }
});

test('window-steady.ts: windows per record, fast paths on and off', async () => {
  const r = await report('window-steady.ts');
  checkShape(r, ['window.tumbling.reduce', 'window.sliding.reduce', 'window.session.reduce', 'window.tumbling.evictor', 'window.tumbling.combine', 'window.tumbling.sparse']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.no-fast-paths']));
  // combineLocally must give what the plain tumbling reduce gives.
  const sig = (b: string, e = 'sluice'): string => { const x = r.results.find((y) => y.benchmark === b && y.engine === e)!; return `${x.outputRows}/${x.outputChecksum}`; };
  assert.equal(sig('window.tumbling.combine'), sig('window.tumbling.reduce'));
  // One record per key and window: the fast paths change no result.
  assert.equal(sig('window.tumbling.sparse', 'sluice.no-fast-paths'), sig('window.tumbling.sparse'));
});

test('join-keys.ts: window and interval joins over many keys, fast paths on and off, the same pairs', async () => {
  const r = await report('join-keys.ts');
  checkShape(r, ['join.window.sparse', 'join.window.few', 'join.interval.sparse', 'join.interval.few']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.no-fast-paths']));
});

test('keyed-process.ts: q4\'s winners and keys holding several timers through the keyed process operator, fast paths on and off, the same output', async () => {
  const r = await report('keyed-process.ts');
  checkShape(r, ['keyed.q4', 'keyed.timers']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.no-fast-paths']));
  for (const b of ['keyed.q4', 'keyed.timers']) {
    const [on, off] = ['sluice', 'sluice.no-fast-paths'].map((e) => r.results.find((x) => x.benchmark === b && x.engine === e)!);
    assert.equal(`${on!.outputRows}/${on!.outputChecksum}`, `${off!.outputRows}/${off!.outputChecksum}`, b);
  }
});

test('sink-results.ts: a sink result posted, with and without a clone to check it first', async () => {
  const r = await report('sink-results.ts');
  checkShape(r, ['sink-result.records']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.clone-check']));
});

test('file-commit.ts: a file sink checkpoint\'s part committed with and without the record of published parts', async () => {
  const r = await report('file-commit.ts');
  checkShape(r, ['file-commit.part']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.no-record']));
  assert.equal(r.results[0]!.outputRows, 300);
});

test('end-timer-snapshots.ts: the firing\'s snapshots against its timers, one row', async () => {
  const r = await report('end-timer-snapshots.ts');
  // Not checkShape: one engine, one measure (no latency, no output to agree on).
  assert.deepEqual(Object.keys(r).sort(), ['machine', 'results']);
  assert.equal(typeof r.machine.cpus, 'number');
  assert.equal(r.results.length, 1);
  const row = r.results[0]! as Row & { firing: { snapshots: number; entriesEncoded: number } };
  for (const f of FIELDS) assert.ok(f in row, `no ${f}`);
  assert.equal(row.benchmark, 'state.end-timer-snapshots');
  assert.ok(Number.isFinite(row.eventsPerSec) && (row.eventsPerSec as number) > 0);
  assert.ok(row.firing.snapshots > 0 && row.firing.entriesEncoded > 0, JSON.stringify(row.firing));
});

test('table-check.ts: the LevelDB table check over a state directory against reading its tables, CRC-32C sliced and byte at a time', async () => {
  const r = await report('table-check.ts');
  checkShape(r, ['state-dir.table-check', 'state-dir.table-check.small-chunks', 'crc32c.1mib']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'handwritten', 'sluice.byte-loop']));
});

test('latency-recording.ts: the latency recorder on and off its fast path, and a tally with the clock per batch and per event, with matching checksums', async () => {
  const r = await report('latency-recording.ts');
  checkShape(r, ['latency.record', 'latency.tally']);
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.hdr-record', 'sluice.clock-per-event']));
  for (const b of ['latency.record', 'latency.tally']) {
    const rows = r.results.filter((x) => x.benchmark === b);
    assert.equal(new Set(rows.map((x) => x.outputChecksum)).size, 1, `${b}: one checksum`);
  }
});

test('own-state-snapshots.ts: a broadcast function\'s own state, and broadcast state, packed at the barrier and cloned there, the same state restored', async () => {
  const r = await report('own-state-snapshots.ts');
  checkShape(r, ['own-state', 'broadcast-state'].flatMap((k) => [`snapshot.${k}.barrier`, `snapshot.${k}.chunk`, `restore.${k}`]));
  assert.deepEqual(new Set(r.results.map((x) => x.engine)), new Set(['sluice', 'sluice.cloned']));
  assert.ok(r.results.every((x) => x.outputRows === x.entries), 'every entry restored');
});
