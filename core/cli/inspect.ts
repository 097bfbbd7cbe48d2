// Runs on: main thread of the `sluice inspect` process. What a state directory holds: its checkpoints and
// savepoints (verified chunk by chunk), and for one checkpoint its operators, key groups, state sizes, sample
// keys, source positions and in-flight records.
//
// It reads a snapshot of the directory (core/checkpoint/store-snapshot.ts), never the directory itself: opening
// LevelDB writes to it, and a running job holds it. Gathering (inspectDir, inspectCheckpoint) and rendering
// (renderList, renderDetail) are separate, so `--json` prints the same facts.
//
// Exit codes: 0 shown; 1 the directory cannot be opened, the checkpoint asked for is corrupt, or the directory has a
// problem a resume would refuse (listed after the checkpoints), or no copy of a running job's directory could be
// opened (its compactions deleted tables each copy needed); 2 no such directory or checkpoint.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CheckpointStore, refuseWithoutCurrent } from '../checkpoint/store.js';
import { snapshotStateDir, type StateDirSnapshot } from '../checkpoint/store-snapshot.js';
import { savepointMismatch } from '../checkpoint/restore.js';
import { chunkRefs, type ChunkRef, type Manifest } from '../checkpoint/manifest.js';
import { decodeKeyGroup } from '../state/key-group-codec.js';
import { applyPatch } from '../state/collection-deltas.js';
import { decodeKey } from '../graph/tuple-key.js';
import type { Key } from '../graph/key-groups.js';
import { KeyedStateBackend } from '../state/keyed-state-backend.js';
import { bytes, grouped } from './status.js';
import { progress } from './progress.js';
import { readPublishedMark } from '../checkpoint/published-mark.js';
import { inLineage, readLineageMark, type Lineage } from '../checkpoint/lineage-mark.js';

export interface InspectOptions {
  checkpoint?: number;
  savepoint?: string;
  /** Sample keys per keyed operator. */
  keys: number;
  /** Check every chunk's length and checksum (default on). */
  verify: boolean;
  /** List every key group, not just the first few. */
  allKeyGroups?: boolean;
  json?: boolean;
}

export type Status = 'verified' | 'corrupt' | 'unverified';

export interface CheckpointRow {
  id: number;
  kind: string;
  name: string | null;
  createdAt: string | null;
  /** Bytes of every chunk the checkpoint needs (chunks shared with older checkpoints included). */
  bytes: number;
  chunks: number;
  keyedEntries: number;
  finished: boolean;
  /**
   * It holds in-flight records (an unaligned checkpoint): a restore at another parallelism routes them again, and is
   * refused for broadcast records into consumers scaled out, or a source's held records that neither go back to their
   * splits (its reader could not say where they began) nor have a subtask to take them exactly (in-flight-rescale.ts).
   */
  unaligned: boolean;
  /** A run that started over (fresh, or from an older checkpoint) abandoned it: `run --resume` takes it only by id. */
  abandoned: boolean;
  status: Status;
  problem: string | null;
}

export interface KeyGroupRow {
  keyGroup: number;
  /** Chunks in its chain: a full one, then deltas. */
  chunks: number;
  bytes: number;
  entries: number;
}

export interface SampleEntry {
  keyGroup: number;
  state: string;
  key: string;
  value: string;
}

export interface OperatorDetail {
  uid: string;
  name: string;
  /** The kind of operator that wrote the state ('reduce', 'window', ...); null in manifests before it was recorded. */
  kind: string | null;
  parallelism: number;
  keyed: { keyGroups: number; entries: number; bytes: number; groups: KeyGroupRow[]; samples: SampleEntry[]; sampleError: string | null } | null;
  operatorState: { redistribute: string; parts: number; bytes: number } | null;
}

export interface CheckpointDetail extends CheckpointRow {
  maxParallelism: number;
  jobFingerprint: string;
  operators: OperatorDetail[];
  sources: { uid: string; splits: { id: string; position: string }[] }[];
  inFlight: { subtask: string; bytes: number }[];
}

/** The refs a manifest needs, each once (incremental chains share chunks between checkpoints). */
function uniqueRefs(m: Manifest): ChunkRef[] {
  return [...new Map(chunkRefs(m).map((r) => [r.key, r])).values()];
}

function rowOf(m: Manifest, status: Status, problem: string | null, lineage: Lineage): CheckpointRow {
  const refs = uniqueRefs(m);
  return {
    id: m.id, kind: m.kind, name: m.name ?? null, createdAt: m.createdAt, bytes: refs.reduce((n, r) => n + r.bytes, 0), chunks: refs.length,
    keyedEntries: m.keyedEntries, finished: m.finished, unaligned: Object.keys(m.inFlight ?? {}).length > 0,
    abandoned: !inLineage(lineage, m.id), status, problem,
  };
}

/** Verifies every chunk of `m` (skipping keys already verified in this run); returns the first problem or null. */
async function verify(store: CheckpointStore, m: Manifest, done: Set<string>, step: (ref: ChunkRef) => void): Promise<string | null> {
  for (const ref of uniqueRefs(m)) {
    if (done.has(ref.key)) { step(ref); continue; }
    try {
      await store.getChunk(m.id, ref);
    } catch (e) {
      return (e as Error).message;
    }
    done.add(ref.key);
    step(ref);
  }
  return null;
}

/** No clock is read while chunks are applied: restore only puts entries back as they were written. */
const NO_CLOCKS = { processing: () => 0, event: () => 0, watermark: () => 0 };

/**
 * Applies each key group's chain of `m` as a restore would (one group at a time, so memory holds one group): the
 * first problem a resume would meet there (a chunk that does not decode, entry counts that do not match what the
 * checkpoint recorded), or null. Checksums cannot see a chunk written wrong: without this, a savepoint every
 * resume refuses is listed verified.
 */
async function verifyKeyedState(store: CheckpointStore, m: Manifest, step: () => void): Promise<string | null> {
  for (const [uid, op] of Object.entries(m.operators)) {
    for (const [kg, g] of Object.entries(op.keyGroups ?? {})) {
      const chunks = [];
      try {
        // Read here, checksums checked as they are read, and not by verify() before (inspectCheckpoint): once.
        for (const ref of g.chain) chunks.push({ keyGroup: Number(kg), full: ref.full, entries: ref.entries, changed: 0, bytes: await store.getChunk(m.id, ref) });
      } catch (e) {
        return (e as Error).message;
      }
      try {
        new KeyedStateBackend(op.name, m.maxParallelism, false, NO_CLOCKS).restore(chunks);
      } catch (e) {
        return `operator '${uid}': ${(e as Error).message}`;
      }
      if (chunks.at(-1)!.entries !== g.entries) return `operator '${uid}': key group ${kg} records ${g.entries} entries, its last chunk ${chunks.at(-1)!.entries}`;
      step();
    }
  }
  return null;
}

/** Key groups with state in `m`, over its operators: the steps of verifyKeyedState. */
function keyGroupCount(m: Manifest): number {
  return Object.values(m.operators).reduce((n, op) => n + Object.keys(op.keyGroups ?? {}).length, 0);
}

/**
 * Whether savepoint manifest `m` is still that savepoint: its name record names it, or names a checkpoint that is
 * not the savepoint (damaged: dirProblems says so, and this one is the savepoint still). One whose name was deleted
 * (kept as what a resume takes, or until a job's retention takes it), or reused by a newer savepoint, is a
 * checkpoint like any other now (else both are listed as the savepoint).
 */
function stillSavepoint(m: Manifest, records: readonly { name: string; id: number | undefined }[], manifests: readonly Manifest[]): boolean {
  const r = records.find((x) => x.name === m.name);
  if (r === undefined || r.id === undefined) return r !== undefined;
  if (r.id === m.id) return true;
  const named = manifests.find((x) => x.id === r.id);
  return !(named !== undefined && named.kind === 'savepoint' && named.name === m.name);
}

/** The checkpoints runs abandoned; none for a damaged mark, which dirProblems reports. */
function lineageOf(store: CheckpointStore): Lineage {
  try { return readLineageMark(store.dir); } catch { return { starts: [] }; }
}

export async function inspectDir(store: CheckpointStore, verifyChunks: boolean): Promise<CheckpointRow[]> {
  const rows: CheckpointRow[] = [];
  const lineage = lineageOf(store);
  const abandoned = (id: number): boolean => !inLineage(lineage, id);
  const manifests: Manifest[] = [];
  for (const id of await store.manifestIds()) {
    try {
      manifests.push(await store.readManifest(id));
    } catch (e) {
      rows.push({ id, kind: '?', name: null, createdAt: null, bytes: 0, chunks: 0, keyedEntries: 0, finished: false, unaligned: false, abandoned: abandoned(id), status: 'corrupt', problem: (e as Error).message });
    }
  }
  const total = manifests.reduce((n, m) => n + uniqueRefs(m).length, 0);
  const bar = verifyChunks && total > 0 ? progress('verifying chunks:') : undefined;
  let checked = 0;
  const verified = new Set<string>();
  const records = await store.savepoints();
  for (const m of manifests) {
    const problem = verifyChunks ? await verify(store, m, verified, () => { checked++; bar?.update(checked, total, `${checked}/${total}`); }) : null;
    const row = rowOf(m, verifyChunks ? (problem === null ? 'verified' : 'corrupt') : 'unverified', problem, lineage);
    rows.push(m.kind === 'savepoint' && !stillSavepoint(m, records, manifests) ? { ...row, kind: 'checkpoint', name: null } : row);
  }
  bar?.end();
  // Savepoint names whose manifest is gone.
  const ids = new Set(rows.map((r) => r.id));
  for (const s of records) {
    // A damaged name record (not an id) is one of dirProblems'.
    if (s.id !== undefined && !ids.has(s.id)) rows.push({ id: s.id, kind: 'savepoint', name: s.name, createdAt: null, bytes: 0, chunks: 0, keyedEntries: 0, finished: false, unaligned: false, abandoned: abandoned(s.id), status: 'corrupt', problem: 'its name is recorded but its manifest is missing' });
  }
  return rows.sort((a, b) => b.id - a.id);
}

/**
 * What a resume would refuse that the checkpoint list does not show (else inspect calls a directory
 * healthy that `run --resume` refuses): keys that cannot be listed, a damaged PUBLISHED mark, and published
 * sink output newer than every intact checkpoint. The published checkpoint id (0: none) and the problems.
 */
export async function dirProblems(store: CheckpointStore, rows: readonly CheckpointRow[]): Promise<{ published: number | null; problems: string[] }> {
  const problems: string[] = [];
  try {
    await store.maxId();
  } catch (e) {
    if ((e as Error).name !== 'PublishedMarkError') problems.push((e as Error).message);
  }
  let published: number | null = null;
  try {
    published = readPublishedMark(store.dir);
  } catch (e) {
    problems.push((e as Error).message);
  }
  try {
    readLineageMark(store.dir);
  } catch (e) {
    problems.push((e as Error).message);
  }
  // Savepoint name records (no checksum of their own) that name no checkpoint, or another one than that savepoint.
  for (const sp of await store.savepoints()) {
    const row = sp.id === undefined ? undefined : rows.find((r) => r.id === sp.id);
    if (sp.id === undefined) problems.push(`savepoint '${sp.name}' is damaged: its name record holds ${JSON.stringify(sp.raw)}, not a checkpoint id`);
    else if (row !== undefined && row.kind !== '?') {
      const mismatch = savepointMismatch(sp.name, sp.id, row.kind, row.name);
      if (mismatch !== undefined) problems.push(mismatch);
    }
  }
  // What a resume would take, as it takes it: the newest intact checkpoint of the current lineage.
  if (published !== null && published > 0) {
    const newest = rows.find((r) => r.status !== 'corrupt' && !r.abandoned);
    if (newest === undefined || newest.id < published) {
      problems.push(`sink output up to checkpoint ${published} was already published, but the newest intact checkpoint ${rows.some((r) => r.abandoned) ? 'of the current lineage (the others were abandoned by a run that started over) ' : ''}is ${newest === undefined ? 'none' : newest.id}: run --resume refuses to go back behind published output (it would publish records twice)`);
    }
  }
  return { published, problems };
}

/** JSON for a value of unknown type, short: bigints as numbers, Maps and Sets as objects and arrays, cut at `max`. */
export function preview(v: unknown, max = 60): string {
  let text: string;
  try {
    text = typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v, (_k, x: unknown) => {
      if (typeof x === 'bigint') return `${x}n`;
      if (x instanceof Map) return Object.fromEntries([...x].map(([k, y]) => [String(k), y]));
      if (x instanceof Set) return [...x];
      if (x instanceof Uint8Array) return `<${x.length} bytes>`;
      return x;
    }) ?? String(v);
  } catch {
    text = String(v);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The live entries of a key group after applying its chain, per state table, up to `limit`. */
export function sampleGroup(kg: number, chain: Uint8Array[], limit: number): SampleEntry[] {
  const tables = new Map<string, Map<string, { key: unknown; value: unknown }>>();
  for (const bytesOfChunk of chain) {
    const chunk = decodeKeyGroup(bytesOfChunk);
    if (chunk.full) tables.clear();
    for (const t of chunk.tables) {
      let m = tables.get(t.name);
      if (!m) { m = new Map(); tables.set(t.name, m); }
      const stride = t.ttl ? 3 : 2;
      for (let i = 0; i < t.puts.length; i += stride) m.set(preview(t.puts[i], 1000), { key: t.puts[i], value: t.puts[i + 1] });
      // List appends and map changes (format 5), onto the value the chain holds so far (a restore checks them).
      const patches = t.patches ?? [];
      for (let i = 0; i < patches.length; i += stride + 1) {
        const e = m.get(preview(patches[i], 1000));
        const r = applyPatch(e?.value, patches[i + 1], patches[i + 2]);
        if (e !== undefined && typeof r !== 'string') e.value = r.value;
      }
      for (const k of t.dels) m.delete(preview(k, 1000));
    }
  }
  const out: SampleEntry[] = [];
  for (const [state, m] of tables) {
    for (const { key, value } of m.values()) {
      if (out.length >= limit) return out;
      // A tuple key shown as the tuple, not its canonical string.
      out.push({ keyGroup: kg, state, key: preview(decodeKey(key as Key), 40), value: preview(value) });
    }
  }
  return out;
}

/** One checkpoint in detail. Throws the manifest's CorruptCheckpointError when it cannot be read. */
export async function inspectCheckpoint(store: CheckpointStore, id: number, o: { keys: number; verify: boolean }): Promise<CheckpointDetail> {
  const m = await store.readManifest(id);
  const refs = uniqueRefs(m);
  const bar = o.verify && refs.length > 0 ? progress(`verifying checkpoint ${id}:`) : undefined;
  let checked = 0;
  // One checkpoint asked for by name or id: its keyed state is also applied as a resume would, which reads (and
  // checks) its keyed chunks; verify() checks the others.
  const groups = keyGroupCount(m);
  const keyed = new Set(Object.values(m.operators).flatMap((op) => Object.values(op.keyGroups ?? {}).flatMap((g) => g.chain.map((r) => r.key))));
  let problem = o.verify ? await verify(store, m, keyed, () => { checked++; bar?.update(checked, refs.length, `${checked}/${refs.length} chunks`); }) : null;
  bar?.end();
  if (o.verify && problem === null && groups > 0) {
    const applying = progress(`applying checkpoint ${id}'s keyed state:`);
    let applied = 0;
    problem = await verifyKeyedState(store, m, () => { applied++; applying.update(applied, groups, `${applied}/${groups} key groups`); });
    applying.end();
  }
  const operators: OperatorDetail[] = [];
  for (const [uid, op] of Object.entries(m.operators)) {
    let keyed: OperatorDetail['keyed'] = null;
    const groups = Object.entries(op.keyGroups ?? {}).map(([kg, g]) => ({ kg: Number(kg), g })).sort((a, b) => a.kg - b.kg);
    if (groups.length > 0) {
      const rows: KeyGroupRow[] = groups.map(({ kg, g }) => ({ keyGroup: kg, chunks: g.chain.length, bytes: g.chain.reduce((n, r) => n + r.bytes, 0), entries: g.entries }));
      const samples: SampleEntry[] = [];
      let sampleError: string | null = null;
      for (const { kg, g } of groups) {
        if (samples.length >= o.keys) break;
        if (g.entries === 0) continue;
        try {
          const chain: Uint8Array[] = [];
          for (const ref of g.chain) chain.push(await store.getChunk(m.id, ref));
          samples.push(...sampleGroup(kg, chain, o.keys - samples.length));
        } catch (e) {
          sampleError = `key group ${kg}: ${(e as Error).message}`;
          break;
        }
      }
      keyed = {
        keyGroups: rows.length, entries: rows.reduce((n, r) => n + r.entries, 0), bytes: rows.reduce((n, r) => n + r.bytes, 0),
        groups: rows, samples, sampleError,
      };
    }
    const parts = op.operatorState?.parts ?? [];
    operators.push({
      uid, name: op.name, kind: op.kind ?? null, parallelism: op.parallelism, keyed,
      operatorState: op.operatorState ? { redistribute: op.operatorState.redistribute, parts: parts.filter((p) => p !== null).length, bytes: parts.reduce((n, p) => n + (p?.bytes ?? 0), 0) } : null,
    });
  }
  return {
    ...rowOf(m, o.verify ? (problem === null ? 'verified' : 'corrupt') : 'unverified', problem, lineageOf(store)),
    maxParallelism: m.maxParallelism,
    jobFingerprint: m.jobFingerprint,
    operators,
    sources: Object.entries(m.sources).map(([uid, s]) => ({ uid, splits: s.splits.map((sp) => ({ id: sp.id, position: preview(sp.position, 80) })) })),
    inFlight: Object.entries(m.inFlight ?? {}).map(([subtask, r]) => ({ subtask, bytes: r.bytes })),
  };
}

// ---- rendering

function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
  const fmt = (r: readonly string[]): string => r.map((cell, c) => (right.has(c) ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  ').trimEnd();
  return [fmt(header), ...rows.map(fmt)].map((l) => `  ${l}`);
}

function statusText(r: CheckpointRow): string {
  return r.status === 'corrupt' ? `corrupt: ${r.problem}` : r.status;
}

export function renderList(dir: string, rows: readonly CheckpointRow[]): string {
  const savepoints = rows.filter((r) => r.kind === 'savepoint').length;
  const lines = [`state directory ${dir}: ${rows.length - savepoints} checkpoint(s), ${savepoints} savepoint(s)`];
  if (rows.length === 0) return `${lines[0]}\n  (empty: no completed checkpoint yet)`;
  lines.push(...table(
    ['id', 'kind', 'name', 'created', 'size', 'chunks', 'entries', 'status'],
    rows.map((r) => [String(r.id), r.kind + (r.finished ? ' (end)' : '') + (r.unaligned ? ' (unaligned)' : '') + (r.abandoned ? ' (abandoned)' : ''), r.name ?? '', r.createdAt ?? '', bytes(r.bytes), grouped(r.chunks), grouped(r.keyedEntries), statusText(r)]),
    new Set([0, 4, 5, 6]),
  ));
  return lines.join('\n');
}

const KEY_GROUPS_SHOWN = 8;

export function renderDetail(d: CheckpointDetail, allKeyGroups = false): string {
  const what = d.kind === 'savepoint' ? `savepoint '${d.name}' (checkpoint ${d.id})` : `${d.kind} ${d.id}`;
  const lines = [
    `${what}: ${statusText(d)}`,
    `  created ${d.createdAt}; ${bytes(d.bytes)} in ${grouped(d.chunks)} chunks; ${grouped(d.keyedEntries)} keyed entries; max parallelism ${d.maxParallelism}${d.finished ? '; the job had finished' : ''}${d.unaligned ? '; unaligned (in-flight records: rescaling refused for broadcast records into consumers scaled out, or a source\'s held records that cannot go back to their splits and no subtask can take exactly)' : ''}`,
    `  job fingerprint ${d.jobFingerprint.slice(0, 16)}`,
    'operators:',
  ];
  for (const op of d.operators) {
    lines.push(`  ${op.name}${op.uid !== op.name ? ` (uid ${op.uid})` : ''}${op.kind !== null ? `, ${op.kind}` : ''}, parallelism ${op.parallelism}`);
    if (op.keyed) {
      const k = op.keyed;
      lines.push(`    keyed state: ${grouped(k.entries)} entries in ${k.keyGroups} key groups, ${bytes(k.bytes)}`);
      const shown = allKeyGroups ? k.groups : k.groups.slice(0, KEY_GROUPS_SHOWN);
      lines.push(...table(['key group', 'chunks', 'bytes', 'entries'], shown.map((g) => [String(g.keyGroup), String(g.chunks), grouped(g.bytes), grouped(g.entries)]), new Set([0, 1, 2, 3])).map((l) => `  ${l}`));
      if (shown.length < k.groups.length) lines.push(`      … ${k.groups.length - shown.length} more key groups (--all-key-groups)`);
      if (k.samples.length > 0) {
        lines.push('    sample keys:');
        for (const s of k.samples) lines.push(`      [kg ${s.keyGroup}] ${s.state} ${s.key} = ${s.value}`);
      }
      if (k.sampleError) lines.push(`    sample keys: cannot decode (${k.sampleError})`);
    }
    // No part written (a broadcast operator with no broadcast state, a sink with nothing pending): no state to show.
    const written = op.operatorState !== null && op.operatorState.parts > 0;
    if (written) lines.push(`    operator state: ${op.operatorState!.parts} part(s), ${bytes(op.operatorState!.bytes)}, redistributed by ${op.operatorState!.redistribute}`);
    if (!op.keyed && !written) lines.push('    no state');
  }
  if (d.sources.length > 0) {
    lines.push('sources:');
    for (const s of d.sources) {
      lines.push(`  ${s.uid}: ${s.splits.length} split(s)`);
      for (const sp of s.splits) lines.push(`    ${sp.id}: ${sp.position}`);
    }
  }
  if (d.inFlight.length > 0) {
    lines.push('in-flight records (unaligned):');
    for (const f of d.inFlight) lines.push(`  ${f.subtask}: ${bytes(f.bytes)}`);
  }
  return lines.join('\n');
}

// ---- the command

/**
 * Snapshots taken before giving up on one that opens, or that held still while it was copied. A refusal found
 * alike in two snapshots in a row ends it sooner: that is the directory's damage, which copying again finds again.
 */
const SNAPSHOT_ATTEMPTS = 5;

/** Messages name the state directory, not the snapshot opened in its place. */
function shownAs(snapshot: StateDirSnapshot | undefined, dir: string, text: string): string {
  return snapshot === undefined ? text : text.split(snapshot.dir).join(dir);
}

/** `takeSnapshot`: how each copy is taken (specs make a job write between its steps). */
export async function inspectCommand(dir: string, o: InspectOptions, takeSnapshot: (dir: string) => StateDirSnapshot = snapshotStateDir): Promise<number> {
  const abs = path.resolve(dir);
  const say = (code: number, text: string): number => {
    process.stderr.write(`sluice inspect: ${text}\n`);
    if (o.json) process.stdout.write(`${JSON.stringify({ stateDir: abs, error: text })}\n`);
    return code;
  };
  if (!existsSync(abs)) return say(2, `no such state directory: ${dir}`);
  if (!statSync(abs).isDirectory()) return say(2, `${dir} is a file, not a state directory`);
  // Opening would create a database in any directory: refuse one that holds none.
  if (!existsSync(path.join(abs, 'CURRENT'))) {
    // LevelDB's files without their CURRENT: damaged, not foreign ("it holds no LevelDB database" would mislead).
    try { refuseWithoutCurrent(abs); } catch (e) { return say(1, (e as Error).message); }
    return say(2, `${dir} is not a sluice state directory (it holds no LevelDB database)`);
  }
  // A snapshot, never the directory itself: opening writes to it (module comment, store-snapshot.ts). Removed on
  // the way out, Ctrl-C and kill included, or an interrupted inspect leaves its copy beside the directory.
  let store: CheckpointStore | undefined;
  let snapshot: StateDirSnapshot | undefined;
  const interrupted = (signal: NodeJS.Signals): void => {
    snapshot?.dispose();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    /** The previous snapshot's refusal, as said of the directory (it names the file and what is wrong with it). */
    let refused: string | undefined;
    for (let attempt = 1; store === undefined; attempt++) {
      try {
        snapshot = takeSnapshot(abs);
        // A running job moved on while the files were copied: take another, and say so if it never holds still.
        if (!snapshot.consistent || !snapshot.complete) {
          refused = undefined;
          if (attempt < SNAPSHOT_ATTEMPTS) { snapshot.dispose(); continue; }
          // A table the copy needs was deleted by the job's compaction: no damage of the directory's.
          if (!snapshot.complete) {
            snapshot.dispose();
            return say(1, `could not take a consistent copy of ${dir}, a directory a running job is writing (its compactions deleted tables while ${SNAPSHOT_ATTEMPTS} copies were taken): stop the job or retry`);
          }
          process.stderr.write(`sluice inspect: ${dir} changed while it was read (a running job): what is shown may miss its newest checkpoints\n`);
        }
        store = await CheckpointStore.open(snapshot.dir);
      } catch (e) {
        snapshot?.dispose();
        const said = shownAs(snapshot, abs, (e as Error).message);
        if ((e as Error).name === 'StateDirError') {
          // Alike in two snapshots in a row: the directory's own damage, not a job's write caught half done.
          if (said === refused) return say(1, `${said}${said.endsWith('.') ? '' : '.'} The damage persisted across copies: 2 copies of the directory taken one after the other found it alike (${attempt} taken in all), so it is no running job's write in progress`);
          refused = said;
          // A refusal that a job's write in progress could explain (a copy the job moved on under): take another.
          if (attempt < SNAPSHOT_ATTEMPTS) continue;
        }
        return say(1, said);
      }
    }
    return await inspectOpen(store, snapshot!, dir, abs, o, say);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
  }
}

/** The command, once a snapshot of the directory is open (closes it and removes the snapshot). */
async function inspectOpen(open: CheckpointStore, snapshot: StateDirSnapshot, dir: string, abs: string, o: InspectOptions, say: (code: number, text: string) => number): Promise<number> {
  const shown = (text: string): string => shownAs(snapshot, abs, text);
  const sayShown = (code: number, text: string): number => say(code, shown(text));
  try {
    let id = o.checkpoint;
    if (o.savepoint !== undefined) {
      try {
        id = await open.savepointId(o.savepoint);
      } catch (e) {
        return sayShown(1, (e as Error).message);
      }
      if (id === undefined) return say(2, `no savepoint named '${o.savepoint}' in ${dir}`);
    }
    if (id === undefined) {
      const rows = await inspectDir(open, o.verify);
      const { published, problems } = await dirProblems(open, rows);
      process.stdout.write(o.json
        ? `${JSON.stringify({ stateDir: abs, checkpoints: rows, published, problems: problems.map(shown) })}\n`
        : `${renderList(abs, rows)}\n${problems.map((p) => `problem: ${shown(p)}\n`).join('')}`);
      return problems.length > 0 ? 1 : 0;
    }
    if (!(await open.manifestIds()).includes(id)) return say(2, `no checkpoint ${id} in ${dir}`);
    let detail: CheckpointDetail;
    try {
      detail = await inspectCheckpoint(open, id, { keys: o.keys, verify: o.verify });
    } catch (e) {
      return sayShown(1, (e as Error).message);
    }
    // The savepoint's name record pointed here: the (sealed) manifest must be that savepoint.
    const mismatch = o.savepoint !== undefined && detail.kind !== '?' ? savepointMismatch(o.savepoint, id, detail.kind, detail.name) : undefined;
    if (mismatch !== undefined) return say(1, mismatch);
    process.stdout.write(o.json ? `${JSON.stringify({ stateDir: abs, checkpoint: detail })}\n` : `${renderDetail(detail, o.allKeyGroups)}\n`);
    return detail.status === 'corrupt' ? 1 : 0;
  } catch (e) {
    // Keys that cannot be listed (a truncated table), in any view: said as for the open, of the directory itself,
    // not as a stack trace naming the temporary copy.
    if ((e as Error).name !== 'StateDirError') throw e;
    return sayShown(1, (e as Error).message);
  } finally {
    await open.close();
    snapshot?.dispose();
  }
}
