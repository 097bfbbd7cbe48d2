// Runs on: main thread. Choosing the checkpoint to resume from, proving it intact, and dealing its state out to
// the subtasks of the job as it is now (possibly at another parallelism, possibly after code changes).
//
// Nothing is trusted blindly: the manifest must match its own hash and counts, and every chunk it names must be
// present with its recorded length and checksum: CRC-32, or SHA-256 in format-1 manifests (LevelDB alone can
// silently drop records of a damaged log). A checkpoint that fails is reported, and the next older one is tried.

import { chunkPackr } from './chunk-packr.js';
import { keyGroupRange } from '../graph/key-groups.js';
import type { LogicalEdge, LogicalGraph } from '../graph/logical-graph.js';
import type { ExchangePlan, PhysicalPlan } from '../graph/physical-plan.js';
import { assignSplits, ownerOfSource, sourceSplitsError, type SourceSplit, type SplitRestore } from '../connectors/source.js';
import { JobDefinitionError } from '../api/errors.js';
import { broadcastStateSource, subtaskKey, type KeyGroupChunk, type OperatorRestore, type SubtaskRestore } from './snapshot.js';
import { OUTPUT, SOURCE_HELD, type InFlightRecord } from './messages.js';
import { channelShape, gateChannels, inputNumbering, recordedGate, rescaleForm, type ChannelShape } from './channel-shape.js';
import { redistributeInFlight, type GateRoute, type RescaleRoutes, type TaskInFlight } from './in-flight-rescale.js';
import { CorruptCheckpointError, chunkRefs, takesStateOf, type Manifest } from './manifest.js';
import type { CheckpointStore } from './store.js';
import { readPublishedMark } from './published-mark.js';
import { inLineage, readLineageMark, resumableIds, type Lineage } from './lineage-mark.js';
import { MIN_WATERMARK } from '../time/watermark.js';
import { NoCheckpointError } from './no-checkpoint-error.js';

/** Which checkpoint to resume from. */
export type ResumeFrom = 'latest' | { checkpoint: number } | { savepoint: string };

export { NoCheckpointError };

/** A verified checkpoint with every chunk it needs, read. */
export interface LoadedCheckpoint {
  manifest: Manifest;
  chunks: Map<string, Uint8Array>;
}

/** How far loading (and verifying) a checkpoint's chunks has come: for progress bars. */
export interface RestoreProgress {
  checkpointId: number;
  chunks: number;
  totalChunks: number;
  bytes: number;
  totalBytes: number;
}

/** Reads a manifest and every chunk it names, verifying all of them. Throws CorruptCheckpointError. */
export async function loadCheckpoint(store: CheckpointStore, id: number, onProgress?: (p: RestoreProgress) => void): Promise<LoadedCheckpoint> {
  const manifest = await store.readManifest(id);
  const refs = [...new Map(chunkRefs(manifest).map((r) => [r.key, r])).values()];
  const p: RestoreProgress = { checkpointId: id, chunks: 0, totalChunks: refs.length, bytes: 0, totalBytes: refs.reduce((n, r) => n + r.bytes, 0) };
  onProgress?.({ ...p });
  const chunks = new Map<string, Uint8Array>();
  for (const ref of refs) {
    chunks.set(ref.key, await store.getChunk(id, ref));
    p.chunks++;
    p.bytes += ref.bytes;
    onProgress?.({ ...p });
  }
  return { manifest, chunks };
}

/**
 * The first of `ids` (newest first) that loads intact; each corrupt one on the way is added to `failures` and
 * reported. undefined: none is intact.
 */
export async function newestIntact(store: CheckpointStore, ids: readonly number[], failures: string[], report: (message: string) => void, onProgress?: (p: RestoreProgress) => void): Promise<LoadedCheckpoint | undefined> {
  for (const id of ids) {
    try {
      return await loadCheckpoint(store, id, onProgress);
    } catch (e) {
      if (!(e instanceof CorruptCheckpointError)) throw e;
      failures.push(e.message);
      report(e.message);
    }
  }
  return undefined;
}

/**
 * Why checkpoint `id` (of `kind`, named `actual`) is not the savepoint `name` its name record points to, or
 * undefined when it is. The record has no checksum, and a damaged one would restore another checkpoint in
 * silence; the manifest is sealed, so it is the judge.
 */
export function savepointMismatch(name: string, id: number, kind: string, actual: string | null | undefined): string | undefined {
  if (kind === 'savepoint' && actual === name) return undefined;
  return `savepoint '${name}' is recorded as checkpoint ${id}, but that is ${kind === 'savepoint' ? `savepoint '${actual}'` : 'a checkpoint, not a savepoint'}: the savepoint's name record is damaged`;
}

/** Throws unless `m` is the savepoint `name`. */
export function checkSavepoint(name: string, m: Manifest): void {
  const mismatch = savepointMismatch(name, m.id, m.kind, m.name);
  if (mismatch !== undefined) throw new CorruptCheckpointError(m.id, mismatch);
}

/**
 * The checkpoint to resume from. 'latest': the newest complete and intact checkpoint or savepoint of the current
 * lineage (lineage-mark.ts: none a run that started over abandoned; corrupt ones are reported through `report`
 * and skipped); undefined when the directory holds none at all.
 */
export async function selectCheckpoint(store: CheckpointStore, from: ResumeFrom, report: (message: string) => void, onProgress?: (p: RestoreProgress) => void): Promise<LoadedCheckpoint | undefined> {
  if (from !== 'latest') {
    const name = 'savepoint' in from ? from.savepoint : undefined;
    const id = name === undefined ? (from as { checkpoint: number }).checkpoint : await store.savepointId(name);
    if (id === undefined) {
      const names = (await store.savepoints()).map((s) => `'${s.name}'`);
      throw new NoCheckpointError(`no savepoint named '${name}' in ${store.dir} (${names.length === 0 ? 'it holds none' : `it holds ${names.join(', ')}`})`);
    }
    const ids = await store.manifestIds();
    // Not there at all is not the same as corrupt (which loadCheckpoint reports for a manifest it cannot read).
    if (!ids.includes(id)) {
      const held = ids.length === 0 ? 'it holds none' : `it holds ${[...ids].sort((a, b) => a - b).join(', ')}`;
      throw new NoCheckpointError(name === undefined
        ? `no checkpoint ${id} in ${store.dir} (${held})`
        // The record has no checksum: a flipped digit names a checkpoint that never was.
        : `savepoint '${name}' is recorded as checkpoint ${id}, but there is no checkpoint ${id} in ${store.dir} (${held}): its name record is damaged, or its checkpoint was deleted`);
    }
    let c: LoadedCheckpoint;
    try {
      c = await loadCheckpoint(store, id, onProgress);
    } catch (e) {
      if (name !== undefined && e instanceof CorruptCheckpointError) e.message = `savepoint '${name}' cannot be restored: ${e.message}`;
      throw e;
    }
    if (name !== undefined) checkSavepoint(name, c.manifest);
    // Chosen by the user, so allowed; but said, or a savepoint taken before later output was published re-emits
    // records with no word. Only once it loaded: a resume that then fails publishes nothing.
    const published = readPublishedMark(store.dir);
    if (id < published) report(`resuming from checkpoint ${id}${name !== undefined ? ` (savepoint '${name}')` : ''}, behind sink output already published up to checkpoint ${published}: the records between are published again (duplicates)`);
    return c;
  }
  const lineage = readLineageMark(store.dir);
  const published = readPublishedMark(store.dir);
  const failures: string[] = [];
  const last = lineage.starts.at(-1);
  const all = await store.manifestIds();
  const ids = resumableIds(all, lineage);
  const behindPublished = (id: number, abandoned = all.find((x) => !inLineage(lineage, x))): NoCheckpointError => new NoCheckpointError(last !== undefined && id <= last.base && published < last.first
    // The newest of the lineage is where its last run started over: the output is that of checkpoints it abandoned.
    ? `the last run in ${store.dir} started over from ${last.base === 0 ? 'the beginning' : `checkpoint ${last.base}`} and has no intact checkpoint of its own${failures.length ? ` (${failures.join('; ')})` : ''}, and sink output up to checkpoint ${published} was already published by checkpoints it abandoned: resuming would publish records twice. ${last.base === 0 ? 'Start without resuming' : `Resume from checkpoint ${last.base} explicitly`} if duplicates are acceptable${abandoned !== undefined ? `, or from the newest abandoned checkpoint (${abandoned}) by id to go back to it` : ''}`
    : id === 0
      // None left to resume from explicitly: say so first, not the advice below.
      ? `no intact checkpoint in ${store.dir}${failures.length ? ` (${failures.join('; ')})` : ''}, and sink output up to checkpoint ${published} was already published: starting over would publish records twice. Start without resuming (a new state directory) only if duplicates are acceptable`
      : `sink output up to checkpoint ${published} was already published, but the newest intact checkpoint is ${id}${failures.length ? ` (${failures.join('; ')})` : ' (newer ones are gone from the store)'}: resuming from it would publish records twice. Resume from a checkpoint explicitly if duplicates are acceptable`);
  const c = await newestIntact(store, ids, failures, (m) => report(`${m}; trying an older checkpoint`), onProgress);
  if (c !== undefined) {
    if (c.manifest.id < published) throw behindPublished(c.manifest.id);
    return c;
  }
  if (published > 0) throw behindPublished(0);
  if (failures.length > 0) throw new NoCheckpointError(`no intact checkpoint in ${store.dir}: ${failures.join('; ')}`);
  return undefined;
}

/**
 * Where an in-process restart resumes: the newest checkpoint from `latestId` down to `floorId` (what this run
 * started from, or its first own checkpoint) that reads back intact. A chunk damaged since it was written used to
 * fail the restart; now the damaged checkpoint is reported and an older one of this run is used, as a resume
 * does. Never one behind published sink output, nor one of an earlier lineage below the floor
 * (NoCheckpointError). undefined: none intact and none needed (the run started fresh, nothing was published).
 * `lineage`: the one the run goes on in (recordStart), fixed for the run.
 */
export async function restartCheckpoint(store: CheckpointStore, lineage: Lineage, latestId: number, floorId: number, startedFresh: boolean, report: (message: string) => void, onProgress?: (p: RestoreProgress) => void, acceptedUpTo = 0): Promise<LoadedCheckpoint | undefined> {
  // Output up to `acceptedUpTo` the run accepted publishing again when it started (resumed explicitly behind it);
  // only what was published since guards a restart (else a restart from the run's own start is refused).
  const mark = readPublishedMark(store.dir);
  const published = mark > acceptedUpTo ? mark : 0;
  const failures: string[] = [];
  const why = (): string => (failures.length > 0 ? ` (${failures.join('; ')})` : '');
  const ids = resumableIds(await store.manifestIds(), lineage).filter((x) => x <= latestId && x >= floorId);
  const c = await newestIntact(store, ids, failures, (m) => report(`${m}; restarting from an older checkpoint`), onProgress);
  if (c !== undefined) {
    if (c.manifest.id < published) throw new NoCheckpointError(`sink output up to checkpoint ${published} was already published, but the newest intact checkpoint to restart from is ${c.manifest.id}${why()}: restarting from it would publish records twice`);
    return c;
  }
  if (startedFresh && published === 0) return undefined;
  throw new NoCheckpointError(`no intact checkpoint to restart from in ${store.dir}${why()}${published > 0 ? `, and sink output up to checkpoint ${published} was already published` : ''}`);
}

export interface RestoreOptions {
  /** Accept a checkpoint holding state of operators the job no longer has (that state is dropped). */
  allowNonRestoredState: boolean;
}

export interface RestoreAssignment {
  subtasks: Record<string, SubtaskRestore>;
  /** Source splits by subtask key, for sources the checkpoint knows (others start fresh). */
  splits: Record<string, SourceSplit[]>;
  /** Uids of sources the checkpoint has positions for. */
  restoredSources: Set<string>;
}

/**
 * Gives in-flight records the gate and input numbers that lead where they led when the checkpoint was taken
 * (`was`), in the job restored (`now`): the same numbers when nothing changed, others when exchanges were added or
 * reordered. An exchange the job no longer has (or with another consumer or partitioning) is refused; with
 * `rescaled`, one whose consumer's parallelism changed (or whose forward became rebalance) is the same exchange.
 * Returns, per gate number now, what the checkpoint recorded for it (where its records had been routed).
 */
function renumberChannels(records: InFlightRecord[], was: ChannelShape, now: ChannelShape, refuse: (through: string) => Error, rescaled: boolean): string[] {
  const form = rescaled ? rescaleForm : (d: string): string => d;
  const gateWas: string[] = [];
  const gate = (i: number): number => {
    const d = was.gates[i];
    if (d === undefined) throw refuse(`output gate #${i}, which it did not record`);
    let j = i;
    if (now.gates[i] !== d && (now.gates[i] === undefined || form(now.gates[i]!) !== form(d))) {
      const js = now.gates.map((_, k) => k).filter((k) => form(now.gates[k]!) === form(d));
      if (js.length !== 1) throw refuse(`'${d}'`);
      j = js[0]!;
    }
    gateWas[j] = d;
    return j;
  };
  // An input that still reads every exchange the old one read (and maybe more: a union that gained a stream).
  const input = (i: number): number => {
    const d = was.inputs[i];
    if (d === undefined) throw refuse(`input #${i}, which it did not record`);
    const covers = (j: number): boolean => d.every((x) => now.inputs[j]?.some((y) => form(y) === form(x)));
    if (covers(i)) return i;
    const js = now.inputs.map((_, j) => j).filter(covers);
    if (js.length !== 1) throw refuse(`'${d.join(', ')}'`);
    return js[0]!;
  };
  for (const r of records) {
    if (r.input === OUTPUT) r.output = gate(r.output!);
    else if (r.input !== SOURCE_HELD) r.input = input(r.input);
  }
  return gateWas;
}

/**
 * Once per resume, before any thread starts (and before assignRestore): each restored source that derives its
 * splits from its configuration (SourceSpec.restoreSplits) gets the splits it reads now. Returns the checkpoint
 * with those splits in its manifest (the stored one is untouched), which restarts from that same checkpoint must
 * reuse: an added split's start ('latest') resolved again later would skip what arrived in between. Differences
 * are warned about through `warn`; restored splits the configuration cannot read are refused (JobDefinitionError)
 * unless allowNonRestoredState, which drops them (the source then starts fresh).
 */
export async function restoreSourceSplits(c: LoadedCheckpoint, graph: LogicalGraph, options: RestoreOptions, warn: (message: string) => void): Promise<LoadedCheckpoint> {
  const m = c.manifest;
  const where = `checkpoint ${m.id}${m.name ? ` (savepoint '${m.name}')` : ''}`;
  const sources: Record<string, Manifest['sources'][string]> = { ...m.sources };
  for (const n of graph.nodes) {
    const uid = n.uid ?? n.name;
    const src = m.sources[uid];
    // Another kind of source under the uid is assignRestore's to refuse (or drop).
    if (src === undefined || n.source?.restoreSplits === undefined || (src.kind !== undefined && src.kind !== n.source.kind)) continue;
    const what = `source '${n.name}'${uid !== n.name ? ` (uid '${uid}')` : ''}`;
    let r: SplitRestore;
    try {
      r = await n.source.restoreSplits(src.splits);
    } catch (e) {
      throw sourceSplitsError(n.name, n.source.kind, 'restoreSplits', e);
    }
    if (r.incompatible !== undefined) {
      if (!options.allowNonRestoredState) {
        throw new JobDefinitionError(`${where} holds read positions of ${what} that it cannot resume from: ${r.incompatible}. Give the source another uid, or allow dropping those positions (allowNonRestoredState / --allow-non-restored-state: it then reads from its configured start)`);
      }
      warn(`${what}: ${r.incompatible}; its read positions in ${where} are dropped (allowNonRestoredState) and it reads from its configured start`);
      delete sources[uid];
      continue;
    }
    for (const note of r.notes ?? []) warn(`${what}, resumed from ${where}: ${note}`);
    sources[uid] = { ...src, ...regroup(src, r.splits, ownerOfSource(n.source, n.name)) };
  }
  return { ...c, manifest: { ...m, sources } };
}

/**
 * perSubtask for `splits` after restoreSplits: kept splits stay with the subtask that had them, added ones go to
 * their owner (SourceSpec.ownerOf) or else to the subtasks with the fewest (dealSplits keeps the groups only at the
 * parallelism they were taken at).
 */
function regroup(src: Manifest['sources'][string], splits: SourceSplit[], ownerOf?: (split: SourceSplit, parallelism: number) => number): { splits: SourceSplit[]; perSubtask?: number[] } {
  const per = src.perSubtask;
  if (per === undefined || per.length === 0 || per.reduce((a, b) => a + b, 0) !== src.splits.length) return { splits, perSubtask: undefined };
  const groupOf = new Map<string, number>();
  let at = 0;
  per.forEach((k, g) => { for (let i = 0; i < k; i++) groupOf.set(src.splits[at++]!.id, g); });
  const groups: SourceSplit[][] = per.map(() => []);
  const added: SourceSplit[] = [];
  for (const sp of splits) {
    const g = groupOf.get(sp.id);
    if (g === undefined) added.push(sp);
    else groups[g]!.push(sp);
  }
  for (const sp of added) (ownerOf !== undefined ? groups[ownerOf(sp, groups.length)]! : groups.reduce((a, b) => (b.length < a.length ? b : a))).push(sp);
  return { splits: groups.flat(), perSubtask: groups.map((g) => g.length) };
}

interface TaskOfNode {
  task: number;
  parallelism: number;
  kind: string;
  /** A source's kind, and how it deals its splits (SourceSpec.ownerOf). */
  source: string | undefined;
  ownerOf: ((split: SourceSplit, parallelism: number) => number) | undefined;
}

/** Deals the checkpoint's state to the subtasks of `plan`. Throws JobDefinitionError when it cannot fit the job. */
export function assignRestore(c: LoadedCheckpoint, graph: LogicalGraph, plan: PhysicalPlan, options: RestoreOptions): RestoreAssignment {
  const m = c.manifest;
  const where = `checkpoint ${m.id}${m.name ? ` (savepoint '${m.name}')` : ''}`;
  if (m.maxParallelism !== plan.maxParallelism) {
    throw new JobDefinitionError(`${where} was taken with maxParallelism ${m.maxParallelism}; this job has ${plan.maxParallelism}: key groups cannot be mapped (keep maxParallelism fixed for a job's life)`);
  }
  const taskOfNode = new Map<string, TaskOfNode>();
  for (const t of plan.tasks) {
    for (const id of t.nodeIds) { const n = graph.nodes[id]!; taskOfNode.set(n.uid ?? n.name, { task: t.id, parallelism: t.parallelism, kind: n.kind, source: n.source?.kind, ownerOf: ownerOfSource(n.source, n.name) }); }
  }
  const stateful = [...new Set([...Object.keys(m.operators), ...Object.keys(m.sources)])].filter((uid) => hasState(m, uid));
  const missing = stateful.filter((uid) => !taskOfNode.has(uid));
  if (missing.length > 0 && !options.allowNonRestoredState) {
    // None of it this job's: more likely another job's state directory than a job that renamed every operator.
    const foreign = missing.length === stateful.length
      ? ', and no operator of this job has state in it: is it another job\'s state directory? Each job needs one of its own. If not, give'
      : '. Give';
    throw new JobDefinitionError(`${where} holds state of operator(s) ${missing.map((u) => `'${u}'`).join(', ')} that this job does not have (by uid)${foreign} operators stable uids with .uid(), or allow dropping that state (allowNonRestoredState / --allow-non-restored-state)`);
  }
  // A uid taken over by another kind of operator (a keyed process become a map or a reduce): its state cannot be
  // read by what is there now, and was silently ignored.
  const retaken = Object.entries(m.operators).filter(([uid, op]) => op.kind !== undefined && taskOfNode.has(uid) && !takesStateOf(taskOfNode.get(uid)!.kind, op.kind) && hasState(m, uid));
  if (retaken.length > 0 && !options.allowNonRestoredState) {
    const [uid, op] = retaken[0]!;
    throw new JobDefinitionError(`${where} holds state that a '${op.kind}' operator wrote under uid '${uid}', and in this job that uid is a '${taskOfNode.get(uid)!.kind}' operator, which cannot take it${retaken.length > 1 ? ` (and ${retaken.length - 1} more: ${retaken.slice(1).map(([u]) => `'${u}'`).join(', ')})` : ''}. Give the new operator another uid, or allow dropping that state (allowNonRestoredState / --allow-non-restored-state)`);
  }
  // Read positions of a source whose uid another kind of source (or no source) now has: a file source cannot resume
  // from a generator's positions. Refused here, before any thread starts; the reader would fail at every restart.
  const resourced = Object.entries(m.sources).filter(([uid, src]) => src.kind !== undefined && taskOfNode.has(uid) && taskOfNode.get(uid)!.source !== src.kind);
  if (resourced.length > 0 && !options.allowNonRestoredState) {
    const [uid, src] = resourced[0]!;
    const now = taskOfNode.get(uid)!;
    throw new JobDefinitionError(`${where} holds read positions of a '${src.kind}' source under uid '${uid}', and in this job that uid is ${now.source !== undefined ? `a '${now.source}' source` : `a '${now.kind}' operator`}, which cannot resume from them${resourced.length > 1 ? ` (and ${resourced.length - 1} more: ${resourced.slice(1).map(([u]) => `'${u}'`).join(', ')})` : ''}. Give the new source another uid, or allow dropping those positions (allowNonRestoredState / --allow-non-restored-state: it then reads from its start)`);
  }
  const unsourced = new Set(resourced.map(([uid]) => uid));
  const dropped = new Set(retaken.map(([uid]) => uid));
  const subtasks: Record<string, SubtaskRestore> = {};
  const slot = (task: number, s: number, uid: string): OperatorRestore => {
    const st = (subtasks[subtaskKey(task, s)] ??= { operators: {} });
    return (st.operators[uid] ??= { keyed: [], operator: [] });
  };
  for (const [uid, op] of Object.entries(m.operators)) {
    const at = taskOfNode.get(uid);
    if (!at || dropped.has(uid)) continue;
    if (op.keyGroups && Object.keys(op.keyGroups).length > 0) {
      for (let s = 0; s < at.parallelism; s++) {
        const [start, end] = keyGroupRange(s, plan.maxParallelism, at.parallelism);
        const keyed: KeyGroupChunk[] = [];
        for (let kg = start; kg < end; kg++) {
          const g = op.keyGroups[kg];
          if (!g) continue;
          for (const ref of g.chain) keyed.push({ keyGroup: kg, full: ref.full, entries: ref.entries, changed: 0, bytes: c.chunks.get(ref.key)! });
        }
        if (keyed.length > 0) slot(at.task, s, uid).keyed = keyed;
      }
    }
    if (op.operatorState && (op.kind !== 'timestamps' || at.kind === 'timestamps')) {
      const parts = op.operatorState.parts.map((ref) => (ref ? chunkPackr().unpack(c.chunks.get(ref.key)!) as unknown[] : []));
      if (op.operatorState.redistribute === 'broadcast') {
        // Old j's with new j (in-flight-rescale.ts keeps old j's channel state with new j too): broadcastStateSource.
        for (let s = 0; s < at.parallelism; s++) slot(at.task, s, uid).operator = parts[broadcastStateSource(parts.length, s, at.parallelism)] ?? [];
      } else if (op.operatorState.redistribute === 'union') {
        for (let s = 0; s < at.parallelism; s++) slot(at.task, s, uid).operator = parts.flat();
      } else {
        // Each old subtask's part whole, in order, to one new subtask (at the same parallelism, its own): dealt
        // item by item, an ordered asyncMap's in-flight inputs would be re-issued on two subtasks at once, and
        // come out of order.
        for (let s = 0; s < at.parallelism; s++) slot(at.task, s, uid).operator = parts.filter((_, i) => i % at.parallelism === s).flat();
      }
    }
  }
  // Positions of splits that held records went back into (by source uid, then split id): they are read again.
  const unread = new Map<string, Map<string, SourceSplit>>();
  for (const [k, inFlight] of Object.entries(assignInFlight(c, graph, plan, taskOfNode, unsourced, where, unread))) (subtasks[k] ??= { operators: {} }).inFlight = inFlight;
  // Event time: the lowest of the task's subtasks that had not ended, on every subtask. Behind a keyed exchange they
  // are all the same (an aligned barrier comes after the same watermarks on every channel); behind a forward one a
  // subtask may read other splits now, even at the same parallelism. Only where the uid still heads a
  // task: its inputs are then what they were.
  for (const [uid, old] of Object.entries(m.watermarks ?? {})) {
    const at = taskOfNode.get(uid);
    if (!at || !headsTask(graph, plan, at.task, uid)) continue;
    const known = old.filter((w): w is number => w !== null);
    const lowest = Math.min(...known);
    if (known.length === 0 || lowest <= MIN_WATERMARK) continue;
    for (let s = 0; s < at.parallelism; s++) (subtasks[subtaskKey(at.task, s)] ??= { operators: {} }).watermark = lowest;
  }
  assignChannelTimes(m, graph, plan, taskOfNode, subtasks);
  const splits: Record<string, SourceSplit[]> = {};
  const restoredSources = new Set<string>();
  for (const [uid, src] of Object.entries(m.sources)) {
    const at = taskOfNode.get(uid);
    if (!at || unsourced.has(uid)) continue;
    restoredSources.add(uid);
    const back = unread.get(uid);
    dealSplits(src, at.parallelism, at.ownerOf).forEach((sp, i) => { splits[subtaskKey(at.task, i)] = back === undefined ? sp : sp.map((x) => back.get(x.id) ?? x); });
  }
  return { subtasks, splits, restoredSources };
}

/**
 * A source's splits for `parallelism` subtasks: by the source's `ownerOf` when it has one (its readers may add
 * splits they own, so every split must be where its owner is); else at the parallelism the checkpoint was taken
 * at, each subtask's own (where the manifest says which those were), so what a subtask had read and not sent (held
 * records, its gates' unsent ones) stays with the splits it came from, as in Flink; else dealt round robin.
 */
export function dealSplits(src: Manifest['sources'][string], parallelism: number, ownerOf?: (split: SourceSplit, parallelism: number) => number): SourceSplit[][] {
  if (ownerOf !== undefined) return assignSplits(src.splits, parallelism, ownerOf);
  const per = src.perSubtask;
  if (per === undefined || per.length !== parallelism || per.reduce((a, b) => a + b, 0) !== src.splits.length) return assignSplits(src.splits, parallelism);
  let at = 0;
  return per.map((n) => src.splits.slice(at, (at += n)));
}

/**
 * Deals an unaligned checkpoint's channel state to the subtasks of `plan` (in-flight-rescale.ts), by subtask key.
 * Held source records handed back to their splits leave their positions in `unread` (by uid, then split id).
 * Throws JobDefinitionError when it cannot fit the job.
 */
function assignInFlight(c: LoadedCheckpoint, graph: LogicalGraph, plan: PhysicalPlan, taskOfNode: Map<string, TaskOfNode>, unsourced: ReadonlySet<string>, where: string, unread: Map<string, Map<string, SourceSplit>>): Record<string, InFlightRecord[]> {
  const m = c.manifest;
  const headUid = (task: number): string => headUidOf(graph, plan, task);
  const rescaled = rescaledIn(m, graph, plan);
  const tasks: TaskInFlight[] = [];
  const gateWas = new Map<number, string[]>();
  const byUid = new Map<string, InFlightRecord[][]>();
  for (const [key, ref] of Object.entries(m.inFlight ?? {})) {
    const cut = key.lastIndexOf('/');
    const uid = key.slice(0, cut);
    const s = Number(key.slice(cut + 1));
    const at = taskOfNode.get(uid);
    if (!at) throw new JobDefinitionError(`${where} is unaligned and holds in-flight records for operator '${uid}', which this job does not have`);
    const records = chunkPackr().unpack(c.chunks.get(ref.key)!) as InFlightRecord[];
    const was = m.channels?.[uid];
    const rescale = rescaled(at.task);
    if (was === undefined && rescale) throw new JobDefinitionError(`${where} is an unaligned checkpoint that does not record where its in-flight records of '${uid}' were going (taken by an older sluice): it can only be restored at the parallelism it was taken at (rescale from a savepoint, which is always aligned)`);
    // Kept in place, held records are pushed by the same subtask before it reads again: where the source's ownerOf
    // deals that subtask other splits than it had (a checkpoint of a job without ownerOf), they would come ahead of those.
    const src = m.sources[uid];
    if (!rescale && at.ownerOf !== undefined && src !== undefined && !unsourced.has(uid) && records.some((r) => r.input === SOURCE_HELD)) {
      const had = new Set(dealSplits({ splits: src.splits, perSubtask: src.perSubtask }, at.parallelism)[s]!.map((sp) => sp.id));
      const now = dealSplits(src, at.parallelism, at.ownerOf)[s]!;
      if (now.length !== had.size || !now.every((sp) => had.has(sp.id))) {
        throw new JobDefinitionError(`${where} is an unaligned checkpoint in which '${uid}' (subtask ${s}) holds records its source had read and not yet pushed on, and the source now deals its splits by owner (ownerOf), giving that subtask other splits than it had: restore it with the source as it was, or restore a savepoint (always aligned)`);
      }
    }
    if (was !== undefined) {
      // A gate whose producer heads another task now: a rescale split the chain (operators chain only at one parallelism).
      const unchained = (through: string): string => {
        const producer = / -> /.test(through) ? /^'([^' #]+)/.exec(through)?.[1] : undefined;
        const now = producer === undefined ? undefined : taskOfNode.get(producer);
        return now !== undefined && now.task !== at.task ? `; '${producer}' is no longer chained behind '${uid}' (operators chain only at the same parallelism: give them the parallelism they had, or restore a savepoint)` : '';
      };
      const g = renumberChannels(records, was, channelShape(graph, plan, at.task), (through) => new JobDefinitionError(`${where} is an unaligned checkpoint holding records of '${uid}' (subtask ${s}) in flight through ${through}, which this job does not have: its exchanges changed since${unchained(through) || ' (restore a savepoint, which is always aligned)'}`), rescale);
      const all = gateWas.get(at.task) ?? [];
      g.forEach((d, j) => { all[j] = d; });
      gateWas.set(at.task, all);
    }
    let l = byUid.get(uid);
    if (l === undefined) byUid.set(uid, (l = []));
    l[s] = records;
  }
  for (const [uid, bySubtask] of byUid) {
    const at = taskOfNode.get(uid)!;
    tasks.push({ uid, task: at.task, was: m.taskParallelism[uid] ?? at.parallelism, now: at.parallelism, bySubtask, sourceKind: at.source });
  }
  const from = (xs: ExchangePlan[]): string => [...new Set(xs.map((x) => headUid(x.fromTask)))].map((u) => `'${u}'`).join(', ');
  const edge = (x: ExchangePlan): LogicalEdge => graph.nodes[x.toNode]!.inputs[x.inputIndex]!;
  const refuse = (reason: string): Error => new JobDefinitionError(`${where} is an unaligned checkpoint that cannot be restored at this parallelism: ${reason}. Restore it at the parallelism it was taken at, or rescale from a savepoint (always aligned)`);
  // Asked once per in-flight record: each answer worked out once per task and input (or gate).
  const once = <R>(f: (task: number, n: number) => R): ((task: number, n: number) => R) => {
    const known = new Map<string, R>();
    return (task, n) => {
      const k = `${task}/${n}`;
      if (!known.has(k)) known.set(k, f(task, n));
      return known.get(k)!;
    };
  };
  const routes: RescaleRoutes = {
    maxParallelism: plan.maxParallelism,
    refuse,
    input: once((task, input) => {
      const numberOf = inputNumbering(graph, plan, task);
      const xs = plan.exchanges.filter((x) => x.toTask === task && numberOf(x) === input);
      const kinds = new Set(xs.map((x) => x.partitioner));
      const x = xs[0]!;
      if (kinds.size === 1 && (x.partitioner !== 'hash' && x.partitioner !== 'custom')) return { partitioner: x.partitioner, from: from(xs) };
      // A record does not say which exchange it came through: keyed ones must all have been routed alike.
      const e = edge(x);
      if (kinds.size > 1 || xs.some((y) => edge(y).key !== e.key || edge(y).partition !== e.partition)) {
        throw refuse(`records in flight into '${headUid(task)}' came through one of several exchanges (from ${from(xs)}) that route records differently, and do not say which`);
      }
      return { partitioner: x.partitioner, key: e.key, partition: e.partition, from: from(xs) };
    }),
    held(task, splits) {
      // As assignRestore deals the source's splits.
      const uid = headUid(task);
      const src = m.sources[uid];
      if (src === undefined || unsourced.has(uid)) return undefined;
      // Only a subtask that reads those splits and no others: pushed ahead of another split's records, held records
      // would run its event time ahead of theirs, and make them late (a scale-in of a source).
      const dealt = dealSplits(src, plan.tasks[task]!.parallelism, taskOfNode.get(uid)?.ownerOf);
      const to = dealt.findIndex((l) => l.length > 0 && l.length === splits.length && l.every((sp) => splits.includes(sp.id)));
      return to >= 0 ? to : undefined;
    },
    unread(task, from) {
      const uid = headUid(task);
      const src = m.sources[uid];
      if (src === undefined || unsourced.has(uid)) return false;
      const ids = new Set(src.splits.map((sp) => sp.id));
      if (!from.every((sp) => ids.has(sp.id))) return false;
      let back = unread.get(uid);
      if (back === undefined) unread.set(uid, (back = new Map()));
      for (const sp of from) back.set(sp.id, sp);
      return true;
    },
    gate: once((task, gate): GateRoute => {
      const x = plan.exchanges.filter((y) => y.fromTask === task)[gate]!;
      const d = gateWas.get(task)?.[gate];
      const now = plan.tasks[x.toTask]!.parallelism;
      const recorded = d === undefined ? undefined : recordedGate(d);
      const e = edge(x);
      return {
        toTask: x.toTask, toUid: headUid(x.toTask), input: inputNumbering(graph, plan, x.toTask)(x),
        was: recorded?.parallelism ?? m.taskParallelism[headUid(x.toTask)] ?? now, now,
        wasForward: recorded?.partitioner === 'forward',
        partitioner: x.partitioner, key: e.key, partition: e.partition, from: `'${headUid(task)}'`,
      };
    }),
  };
  return redistributeInFlight(tasks, routes);
}

/** Whether a task or one of its neighbours has another parallelism than in `m` (its channel state is routed again). */
function rescaledIn(m: Manifest, graph: LogicalGraph, plan: PhysicalPlan): (task: number) => boolean {
  // A task whose parallelism changed (one the checkpoint does not know is new: no records lead to it).
  const changed = (task: number): boolean => (m.taskParallelism[headUidOf(graph, plan, task)] ?? plan.tasks[task]!.parallelism) !== plan.tasks[task]!.parallelism;
  return (task) => changed(task) || plan.exchanges.some((x) => (x.fromTask === task && changed(x.toTask)) || (x.toTask === task && changed(x.fromTask)));
}

/**
 * With channelTimes: each subtask whose input channels are the ones it had (same exchanges, same producers, none rescaled)
 * starts them where they stood at the snapshot, and keeps the watermarks among its in-flight records, to replay them
 * in place; elsewhere both are dropped, and event time starts at the lowest restored watermark, as before channel times were kept.
 */
function assignChannelTimes(m: Manifest, graph: LogicalGraph, plan: PhysicalPlan, taskOfNode: Map<string, TaskOfNode>, subtasks: Record<string, SubtaskRestore>): void {
  const rescaled = rescaledIn(m, graph, plan);
  for (const [key, { channels, ...times }] of Object.entries(m.channelTimes ?? {})) {
    const cut = key.lastIndexOf('/');
    const uid = key.slice(0, cut);
    const s = Number(key.slice(cut + 1));
    const at = taskOfNode.get(uid);
    if (!at || !headsTask(graph, plan, at.task, uid) || s >= at.parallelism || rescaled(at.task)) continue;
    const now = gateChannels(graph, plan, at.task, s);
    if (now.length !== channels.length || now.some((d, i) => d !== channels[i])) continue;
    (subtasks[subtaskKey(at.task, s)] ??= { operators: {} }).channels = times;
  }
  for (const r of Object.values(subtasks)) {
    if (r.inFlight !== undefined && r.channels === undefined) r.inFlight = r.inFlight.filter((x) => x.control === undefined || x.input < 0);
  }
}

/** The uid of a task's head operator: what a checkpoint names the task by. */
function headUidOf(graph: LogicalGraph, plan: PhysicalPlan, task: number): string {
  const head = graph.nodes[plan.tasks[task]!.nodeIds[0]!]!;
  return head.uid ?? head.name;
}

function headsTask(graph: LogicalGraph, plan: PhysicalPlan, task: number, uid: string): boolean {
  return headUidOf(graph, plan, task) === uid;
}

function hasState(m: Manifest, uid: string): boolean {
  const op = m.operators[uid];
  // A watermark assigner's state is where event time had got to: a hint, dropped without a word when the assigner
  // is gone or its uid is another operator's now (which must not read it).
  if (op?.kind === 'timestamps' && !(uid in m.sources)) return false;
  return uid in m.sources || (op !== undefined && (Object.keys(op.keyGroups ?? {}).length > 0 || (op.operatorState?.parts.some((p) => p !== null) ?? false)));
}
