// Runs on: main thread. The checkpoint coordinator of one job attempt: triggers checkpoints, gathers every
// subtask's acknowledgement, writes snapshot bytes to the store as they arrive, and commits a checkpoint's
// manifest once every subtask has acknowledged it. Only then are sinks' transactions published and workers told
// the checkpoint is complete. A checkpoint that is declined or times out is aborted and never visible.
//
// Keyed state is incremental: the coordinator keeps, per (operator, key group), the chain of chunks that
// rebuilds the group (a full chunk, then deltas). Every acknowledged chunk extends its chain, also when its
// checkpoint is later aborted (the worker has already moved its change tracking past it); a manifest records the
// chains as they stand when it completes. One checkpoint is in flight at a time (Flink's default); its life cycle
// (collecting acks, writing the manifest, publishing, done or aborted) is the state machine of checkpoint-phase.ts.

import { channelShape, gateChannels, type ChannelShape } from './channel-shape.js';
import {
  COLLECTING, PUBLISHING, WRITING_MANIFEST, finalStateWaits, onAbort, onEveryAckIn, onManifestCommitted, onPublished, onTrigger,
  type AbortCause, type CheckpointPhase,
} from './checkpoint-phase.js';
import { emptyStats, recordAborted, recordCompleted, type CheckpointStats, type CompletedCheckpoint } from './checkpoint-history.js';
import type { MessagePort } from 'node:worker_threads';
import { chunkPackr } from './chunk-packr.js';
import { JOB_CHECKPOINT_SAVEPOINT, JOB_CHECKPOINT_TRIGGER, JOB_CHECKPOINT_UNALIGNED } from '../../shm/layout.js';
import { LoopWatch, tasksOnThread } from '../runtime/loop-watch.js';
import { threadBell } from '../runtime/job-control.js';
import type { LogicalGraph } from '../graph/logical-graph.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';
import type { SinkSpec } from '../connectors/sink.js';
import type { SourceSplit } from '../connectors/source.js';
import type { CoordinatorMessage, SubtaskSnapshot, WorkerMessage } from './messages.js';
import { crc32 } from '../../shm/checksum.js';
import { chunkSeal } from '../state/key-group-codec.js';
import { CHANNEL_TIMES_FORMAT, MANIFEST_FORMAT, sealManifest, type ChannelTimesRecord, takesStateOf, type CheckpointKind, type ChunkRef, type KeyedChunkRef, type KeyGroupChain, type Manifest, type OperatorManifest } from './manifest.js';
import { publishSinkTransactions } from './sink-commit.js';
import { SinkCommitWait, type CommitStop } from './sink-commit-wait.js';
import { CheckpointFailureCounter } from './failure-counter.js';
import { writePublishedMark } from './published-mark.js';
import { inLineage, type Lineage } from './lineage-mark.js';
import { CheckpointChunkWriteError } from './chunk-write-error.js';
import { CheckpointAbortedError, CheckpointNotStartedError, CheckpointRefusedError, endedText, type CheckpointAbortReason, type CheckpointNotStartedReason } from './checkpoint-refusal.js';
import { pad, type CheckpointStore } from './store.js';
import { operatorShapes } from '../graph/operator-shapes.js';
import type { Redistribution } from './snapshot.js';

export interface CoordinatorOptions {
  intervalMs: number;
  /** Abort a checkpoint that has not completed after this long. */
  timeoutMs: number;
  /** Completed checkpoints kept (savepoints are kept until deleted). */
  retained: number;
  unaligned: boolean;
  /** Least time between the end of one checkpoint and the start of the next. */
  minPauseMs: number;
  /** Failed checkpoints in a row tolerated; one more fails the job (Infinity: never). */
  tolerableFailures: number;
  /** The lineage the run goes on in (recordStart): fixed for the run, so retention need not read it again. */
  lineage: Lineage;
  /** Says what the user should know and nothing fails for (a sinks' commit that does not return). */
  warn?: ((message: string) => void) | undefined;
  /** The run's once-per-run warnings (warn-once.ts), for the sinks' commits. */
  warnOnce?: ((key: string, message: string) => void) | undefined;
}

export type { AbortedCheckpoint, CheckpointStats, CompletedCheckpoint } from './checkpoint-history.js';

interface Pending {
  id: number;
  kind: CheckpointKind;
  name: string | undefined;
  startedAt: number;
  acks: Map<string, SubtaskSnapshot>;
  bytes: number;
  chunks: number;
  dirty: number;
  maxSyncMs: number;
  /** Some ack was taken at an unaligned barrier (CompletedCheckpoint.unaligned). */
  unaligned: boolean;
  /** Refs of the operator-state parts and in-flight records written for this checkpoint, by subtask key. */
  parts: Map<string, { uid: string; ref: ChunkRef | null; redistribute: Redistribution }[]>;
  inFlight: Map<string, ChunkRef>;
  /** Some input's in-flight records hold a watermark or idleness frame: the manifest must be format 3. */
  inputFrames: boolean;
  timer: NodeJS.Timeout | undefined;
  /** `pending` holds it while it is in flight (COLLECTING, WRITING_MANIFEST, PUBLISHING). */
  phase: CheckpointPhase;
  /** Begun with every thread running: its failure counts towards the tolerable ones (start-up does not). */
  countable: boolean;
  resolve: (c: CompletedCheckpoint) => void;
  reject: (e: Error) => void;
}

/** An ended subtask's final state, and the refs of its non-keyed parts (they stand in for it from then on). */
type FinalState = { snapshot: SubtaskSnapshot; parts: { uid: string; ref: ChunkRef | null; redistribute: Redistribution }[] };

/** Operator uid → chains by key group, as of the acks received so far. */
type Chains = Map<string, Map<number, { chain: KeyedChunkRef[]; entries: number }>>;

/** A thread whose loop has not turned for this long, unparked, is named in a timeout (half a shorter timeout, 50 ms at least). */
const STUCK_MS = 500;
/** How often the loops' turn counts are sampled. */
const LOOP_SAMPLE_MS = 50;
/** What waits for a sinks' commit that finish() waits for, in its slow warning. */
const END_WAITS = 'the job does not end until it does (a cancel gives it up after stopGraceMs)';

/** The phase machine's cause of an abort: an attempt's end, by a stop or a failure, is a stop to it. */
function phaseCause(reason: CheckpointAbortReason): AbortCause {
  return reason === 'declined' ? 'decline' : reason === 'stopped' || reason === 'attempt-failed' ? 'stop' : reason;
}

export class CheckpointCoordinator {
  private nextId: number;
  private pending: Pending | undefined;
  private readonly chains: Chains = new Map();
  /** Non-keyed state and source positions of subtasks that ended: they stand in for them from now on. */
  /** What the subtasks' final states wrote as they ended: the final checkpoint's figures (it writes only its manifest). */
  private readonly finalStates = { bytes: 0, chunks: 0, dirty: 0 };
  private readonly finished = new Map<string, FinalState>();
  /** Per savepoint of this attempt, the records its sources had emitted at its barriers (sourceRecordsAt). */
  private readonly savepointSources = new Map<number, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastEnd = 0;
  private stopped = false;
  /** How the attempt ended, once stopped: what a trigger refused then says (CheckpointRefusedError.reason). */
  private endedAs: CheckpointNotStartedReason = 'stopped';
  /** Savepoints and manual triggers wait here while another checkpoint is in flight. */
  private queue: { kind: CheckpointKind; name: string | undefined; resolve: (c: CompletedCheckpoint) => void; reject: (e: Error) => void }[] = [];
  readonly stats: CheckpointStats = emptyStats();
  private readonly failures: CheckpointFailureCounter;
  /** Newest completed manifest (the one a restart restores). */
  latest: Manifest | undefined;
  private readonly sinksByUid: Map<string, SinkSpec<unknown>>;
  /**
   * Each uid's operator: its name, its kind and a source's kind (recorded in manifests so a restore can tell when
   * another kind took the uid over).
   */
  private readonly nodeByUid: Map<string, { name: string; kind: string; source: string | undefined }>;
  private readonly expected: string[];
  private readonly control: Int32Array;

  /** Written into every manifest (operator-shapes.ts). */
  private readonly shapes: Record<string, string>;

  constructor(
    private readonly store: CheckpointStore,
    private readonly graph: LogicalGraph,
    private readonly plan: PhysicalPlan,
    controlBuffer: SharedArrayBuffer,
    private readonly ports: MessagePort[],
    private readonly options: CoordinatorOptions,
    private readonly jobFingerprint: string,
    firstId: number,
    restoredFrom: Manifest | undefined,
    /** Called when a checkpoint fails in a way that must fail the job (a worker declined: its snapshot threw). */
    private readonly onError: (e: Error) => void,
    private readonly onCompleted?: (c: CompletedCheckpoint) => void,
  ) {
    this.control = new Int32Array(controlBuffer);
    this.shapes = operatorShapes(graph);
    this.failures = new CheckpointFailureCounter(options.tolerableFailures);
    this.loops = new LoopWatch(this.control, plan.threads);
    this.nextId = firstId;
    this.sinksByUid = new Map(graph.nodes.filter((n) => n.sink).map((n) => [n.uid ?? n.name, n.sink!]));
    this.nodeByUid = new Map(graph.nodes.map((n) => [n.uid ?? n.name, { name: n.name, kind: n.kind, source: n.source?.kind }]));
    this.expected = plan.placements.map((p) => `${p.task}/${p.subtask}`);
    if (restoredFrom) {
      this.latest = restoredFrom;
      // Chains continue from the restored checkpoint (workers restored exactly these groups).
      for (const [uid, op] of Object.entries(restoredFrom.operators)) {
        // Written by another kind of operator than the one now behind the uid: dropped at the restore (assignRestore).
        const now = this.nodeByUid.get(uid);
        if (op.kind !== undefined && now !== undefined && !takesStateOf(now.kind, op.kind)) continue;
        const m = new Map<number, { chain: KeyedChunkRef[]; entries: number }>();
        for (const [kg, g] of Object.entries(op.keyGroups ?? {})) m.set(Number(kg), { chain: g.chain.slice(), entries: g.entries });
        this.chains.set(uid, m);
      }
    }
    // The threads' ports carry other kinds too (live records, sink results): onMessage passes them by.
    ports.forEach((port) => port.on('message', this.listener));
  }

  /** Starts periodic checkpoints. */
  start(): void {
    if (this.options.intervalMs > 0 && Number.isFinite(this.options.intervalMs)) {
      this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(this.options.intervalMs, 100)));
      this.timer.unref();
      this.lastEnd = performance.now();
    }
    // Manual checkpoints too: a thread that hangs after one began is named only if it was seen moving since.
    this.sampler = setInterval(() => this.loops.sample(), LOOP_SAMPLE_MS);
    this.sampler.unref();
  }

  private sampler: NodeJS.Timeout | undefined;

  private lastTriggerAt = 0;

  /** Threads whose subtasks are built, restored and open ('running' messages). */
  private readonly running = new Set<number>();

  private allRunning(): boolean {
    return this.running.size >= this.plan.threads;
  }

  /** What runs on thread `t`: its tasks' subtasks. */
  private tasksOn(t: number): string {
    return tasksOnThread(this.plan, t);
  }

  /** Threads still building, restoring or opening their tasks, with what runs there (none once all run). */
  startingThreads(): string[] {
    const out: string[] = [];
    for (let t = 0; t < this.plan.threads; t++) if (!this.running.has(t)) out.push(`thread ${t} (${this.tasksOn(t)})`);
    return out;
  }

  /** Whether each thread's loop turns (a thread stuck in one call is named when a checkpoint times out). */
  private readonly loops: LoopWatch;

  /**
   * Threads in one call for `ms` or more, with what runs there: a timeout's missing barriers name the subtasks
   * waiting for them, which may be downstream of the one that hangs (it took the barrier, then hung before
   * sending it on).
   */
  private stuckThreads(ms: number): string {
    const out = this.loops.stuck(ms).map(({ thread, inCallMs }) => `thread ${thread} has been in one call for ${Math.round(inCallMs)} ms (user code that does not return?), running ${this.tasksOn(thread)}`);
    return out.length > 0 ? `; ${out.join('; ')}` : '';
  }

  private tick(): void {
    // Periodic checkpoints start once every task runs (as in Flink): a slow restore or open() is no failed checkpoint.
    if (onTrigger(this.stopped, this.pending?.phase) !== 'begin' || this.queue.length > 0 || !this.allRunning()) return;
    const now = performance.now();
    if (now - this.lastTriggerAt < this.options.intervalMs || now - this.lastEnd < this.options.minPauseMs) return;
    this.trigger('checkpoint', undefined).catch(() => { /* recorded in stats.aborted */ });
  }

  /** Triggers a checkpoint (or savepoint) now, or as soon as the one in flight ends. */
  trigger(kind: CheckpointKind, name: string | undefined): Promise<CompletedCheckpoint> {
    const action = onTrigger(this.stopped, this.pending?.phase);
    if (action === 'refuse') return Promise.reject(new CheckpointRefusedError(this.endedAs));
    return new Promise((resolve, reject) => {
      if (action === 'queue') { this.queue.push({ kind, name, resolve, reject }); return; }
      this.begin(kind, name, resolve, reject);
    });
  }

  /**
   * The subtasks a checkpoint still waits for, so a timeout tells a task stuck in user code, or a barrier stuck
   * behind a backlog, apart from a slow disk.
   */
  private missingAcks(p: Pending): string {
    const missing = this.expected.filter((k) => !p.acks.has(k) && !this.finished.has(k));
    if (missing.length === 0) return 'every subtask acknowledged; its state was still being written';
    const names = missing.slice(0, 8).map((k) => {
      const [task, subtask] = k.split('/').map(Number);
      return `${this.plan.tasks[task!]?.name ?? task} (subtask ${subtask})`;
    });
    return `no barrier yet from ${names.join(', ')}${missing.length > 8 ? ` and ${missing.length - 8} more` : ''}`;
  }

  private begin(kind: CheckpointKind, name: string | undefined, resolve: (c: CompletedCheckpoint) => void, reject: (e: Error) => void): void {
    const id = this.nextId++;
    this.lastTriggerAt = performance.now();
    const p: Pending = {
      id, kind, name, startedAt: performance.now(), acks: new Map(), bytes: 0, chunks: 0, dirty: 0, maxSyncMs: 0, unaligned: false,
      parts: new Map(), inFlight: new Map(), inputFrames: false, timer: undefined, phase: COLLECTING, countable: this.allRunning(), resolve, reject,
    };
    this.pending = p;
    this.loops.sample();
    p.timer = setTimeout(() => this.abort(p, 'timeout', `not completed within ${this.options.timeoutMs} ms; ${this.missingAcks(p)}${this.stuckThreads(Math.max(50, Math.min(STUCK_MS, this.options.timeoutMs / 2)))}`), this.options.timeoutMs);
    p.timer.unref();
    // Savepoints are always aligned: their state must be restorable at any parallelism.
    const flags = (this.options.unaligned && kind !== 'savepoint' ? JOB_CHECKPOINT_UNALIGNED : 0) | (kind === 'savepoint' ? JOB_CHECKPOINT_SAVEPOINT : 0);
    Atomics.store(this.control, JOB_CHECKPOINT_TRIGGER, (id << 2) | flags);
    // Store, then ring: a source thread parked before the store wakes and reads the trigger (else it would sleep
    // through it until its park timeout).
    for (let t = 0; t < this.plan.threads; t++) threadBell(this.control.buffer as SharedArrayBuffer, t).ringAlways();
    // Subtasks that already ended count as acknowledged.
    this.maybeComplete(p);
  }

  /** Its listener on the threads' ports (close takes only it off: the ports are the attempt's). */
  private readonly listener = (m: WorkerMessage): void => { void this.onMessage(m); };

  private async onMessage(m: WorkerMessage): Promise<void> {
    switch (m.type) {
      case 'ack': {
        this.record(m.snapshot, m.checkpointId);
        const p = this.pending;
        if (!p || p.id !== m.checkpointId) return; // late ack of an aborted checkpoint: its chunks still extend chains
        p.acks.set(`${m.snapshot.task}/${m.snapshot.subtask}`, m.snapshot);
        p.maxSyncMs = Math.max(p.maxSyncMs, m.syncMs);
        if (m.unaligned === true) p.unaligned = true;
        this.maybeComplete(p);
        return;
      }
      case 'finished': {
        const key = `${m.snapshot.task}/${m.snapshot.subtask}`;
        if (finalStateWaits(this.pending?.phase, this.pending?.acks.has(key) ?? false)) { this.deferred.push(m); return; }
        const parts = this.record(m.snapshot, this.pending?.id ?? this.nextId, true);
        this.finished.set(key, { snapshot: m.snapshot, parts });
        if (this.pending) this.maybeComplete(this.pending);
        this.onFinished?.();
        return;
      }
      case 'abandoned':
        // Never counts towards a checkpoint (it was given up); its keyed chunks extend the chains.
        this.record(m.snapshot, m.checkpointId, false, true);
        return;
      case 'running':
        this.running.add(m.thread);
        // The interval counts from when every task runs: measured from 0 (the process's start), a job run in a
        // process older than its interval took its first periodic checkpoint at once.
        if (this.allRunning() && this.lastTriggerAt === 0) this.lastTriggerAt = performance.now();
        return;
      case 'decline': {
        const p = this.pending;
        if (p && p.id === m.checkpointId) this.abort(p, 'declined', `subtask ${m.subtask} of task ${this.plan.tasks[m.task]?.name ?? m.task} declined: ${m.reason}`);
        return;
      }
    }
  }

  /**
   * Writes a subtask snapshot's chunks to the store (asynchronously) and extends the chains. Returns the refs of
   * its non-keyed parts.
   */
  private record(s: SubtaskSnapshot, checkpointId: number, final = false, abandoned = false): { uid: string; ref: ChunkRef | null; redistribute: Redistribution }[] {
    const p = !abandoned && this.pending && this.pending.id === checkpointId ? this.pending : undefined;
    // A subtask's final state is filed under the checkpoint in flight, beside its ack of that checkpoint: a suffix
    // keeps the two apart.
    const suffix = final ? '~end' : '';
    const parts: { uid: string; ref: ChunkRef | null; redistribute: Redistribution }[] = [];
    // `seal`: a keyed chunk's own seal (the CRC-32 of its body, see chunkSeal); other chunks get one computed here.
    const write = (key: string, bytes: Uint8Array, seal?: number): ChunkRef => {
      // The ref is known now; the write completes before the manifest is committed.
      const ref: ChunkRef = seal !== undefined ? { key, bytes: bytes.length, crc32: seal, sealed: true } : { key, bytes: bytes.length, crc32: crc32(bytes, 0, bytes.length) };
      const w = this.store.putChunk(key, bytes, ref);
      this.writes.add(w);
      // A failed write is seen by whoever awaits it (the next manifest commit), and fails the attempt: the chains
      // refer to a chunk that is not there, so no later checkpoint of this attempt could be committed (else, after a
      // full disk has room again, the job runs on with every checkpoint aborted). A restart builds its chains anew
      // from the checkpoint it restores.
      w.then(() => this.writes.delete(w), (e: Error) => {
        this.writes.delete(w);
        if (this.writeFailure !== undefined) return;
        this.writeFailure = new CheckpointChunkWriteError(this.store.dir, e);
        if (!this.stopped) this.onError(this.writeFailure);
      });
      if (p) { p.bytes += bytes.length; p.chunks++; }
      if (final) { this.finalStates.bytes += bytes.length; this.finalStates.chunks++; }
      return ref;
    };
    for (const { uid, snapshot } of s.operators) {
      if (snapshot.keyed) {
        let groups = this.chains.get(uid);
        if (!groups) { groups = new Map(); this.chains.set(uid, groups); }
        for (const c of snapshot.keyed) {
          const ref: KeyedChunkRef = { ...write(`k/${pad(checkpointId)}/${uid}/${c.keyGroup}${suffix}`, c.bytes, chunkSeal(c.bytes)), full: c.full, entries: c.entries };
          const g = groups.get(c.keyGroup);
          groups.set(c.keyGroup, { chain: c.full || !g ? [ref] : [...g.chain, ref], entries: c.entries });
          if (p) p.dirty += c.changed;
          if (final) this.finalStates.dirty += c.changed;
        }
      }
      if (snapshot.operator) {
        const ref = snapshot.operator.length === 0 ? null : write(`o/${pad(checkpointId)}/${uid}/${s.subtask}${suffix}`, chunkPackr().pack(snapshot.operator));
        parts.push({ uid, ref, redistribute: snapshot.redistribute ?? 'split' });
      }
    }
    if (p && !final) {
      p.parts.set(`${s.task}/${s.subtask}`, parts);
      if (s.inFlight && s.inFlight.length > 0) {
        const head = this.headUid(s.task);
        p.inFlight.set(`${head}/${s.subtask}`, write(`f/${pad(checkpointId)}/${head}/${s.subtask}`, chunkPackr().pack(s.inFlight)));
        if (s.inFlight.some((x) => x.control !== undefined && x.input >= 0)) p.inputFrames = true;
      }
    }
    return parts;
  }

  /** Chunk writes not yet settled: a manifest is committed only after every write it may refer to. */
  private readonly writes = new Set<Promise<unknown>>();
  /** A chunk write that failed: no later manifest may be committed (it could refer to the chunk). */
  private writeFailure: Error | undefined;
  /** The completion in progress (manifest commit, sink commits, retention). */
  private completion: Promise<void> | undefined;
  /**
   * Final-state reports of subtasks that already acknowledged the checkpoint in flight: their chunks hold state
   * after its barrier, so they wait until it completes or aborts (the manifest must hold the state at the barrier).
   */
  private deferred: WorkerMessage[] = [];

  private headUid(task: number): string {
    const head = this.graph.nodes[this.plan.tasks[task]!.nodeIds[0]!]!;
    return head.uid ?? head.name;
  }

  /**
   * The records this attempt's sources had emitted when they took savepoint `id`'s barrier (those that had ended:
   * all theirs): what it covers of their counts (a stop with savepoint reads on until it stops). Undefined for
   * another checkpoint.
   */
  sourceRecordsAt(id: number): number | undefined {
    return this.savepointSources.get(id);
  }

  private sourceRecordsOf(p: Pending): number {
    let n = 0;
    for (const key of this.expected) n += (p.acks.get(key) ?? this.finished.get(key)?.snapshot)?.sourceRecords ?? 0;
    return n;
  }

  private maybeComplete(p: Pending): void {
    const next = onEveryAckIn(p.phase);
    if (next === undefined) return;
    for (const key of this.expected) if (!p.acks.has(key) && !this.finished.has(key)) return;
    p.phase = next;
    void this.complete(p);
  }

  private complete(p: Pending): void {
    void this.asCompletion((written) => this.completeInner(p, written));
  }

  /**
   * Runs `body` as the completion in progress (a checkpoint's, or the final one's): drain() waits until it calls
   * `written` (its manifest is committed), then bounds the rest.
   */
  private asCompletion<T>(body: (written: () => void) => Promise<T>): Promise<T> {
    let written!: () => void;
    this.manifestWritten = new Promise<void>((r) => { written = r; });
    this.commitWait = undefined;
    const run = body(written);
    const completion: Promise<void> = run.then(() => {}, () => {}).finally(() => {
      written();
      if (this.completion === completion) this.completion = undefined;
    });
    this.completion = completion;
    return run;
  }

  /** Settles once the completion in progress has committed its manifest or given it up (drain() waits that long). */
  private manifestWritten: Promise<void> | undefined;

  private async completeInner(p: Pending, written: () => void): Promise<void> {
    if (p.timer) clearTimeout(p.timer);
    let manifest: Manifest;
    try {
      // Built now, from the chains as every ack left them; then every chunk write issued so far must land.
      manifest = this.buildManifest(p);
      await Promise.all([...this.writes]);
      if (this.writeFailure) throw this.writeFailure;
      await this.store.commitManifest(manifest);
    } catch (e) {
      this.abort(p, 'write-failed', `writing it failed: ${(e as Error).message}`);
      return;
    }
    written();
    // Only its own failed writes (above) abort a checkpoint whose acks are all in.
    p.phase = onManifestCommitted(p.phase)!;
    this.latest = manifest;
    this.failures.completed(p.kind);
    const done: CompletedCheckpoint = {
      id: p.id, kind: p.kind, name: p.name, durationMs: performance.now() - p.startedAt, bytesWritten: p.bytes, chunksWritten: p.chunks,
      keyedEntries: manifest.keyedEntries, dirtyEntries: p.dirty, maxSyncMs: p.maxSyncMs, unaligned: p.unaligned,
    };
    if (p.kind === 'savepoint') this.savepointSources.set(p.id, this.sourceRecordsOf(p));
    recordCompleted(this.stats, done);
    this.broadcast({ type: 'complete', checkpointId: p.id });
    const committedAt = performance.now();
    // The final states this manifest holds: their sinks' transactions are published by this commit.
    const ended = [...this.finished].filter(([key]) => !p.parts.has(key));
    try {
      // checkpointTimeoutMs ends with the manifest: a commit that never returns would stop every later checkpoint
      // without a word (failing the job instead would run its restart's commit beside this one).
      await this.commitSinks(manifest, `checkpoint ${p.id}`, 'no checkpoint starts (nor a restart) until it does');
      this.publishedFinalTransactions(ended);
      // Given up by drain(): the attempt is over, and its retention could delete chunks a restart's chains hold.
      if (this.detached) return;
      await this.retain(p.id);
      // Only when they did: a commit that failed published nothing, and its time would read as a publish's.
      done.commitMs = performance.now() - committedAt;
    } catch (e) {
      this.onError(e as Error);
    }
    // Only now may the next checkpoint start: retention never races a later checkpoint's chunks.
    p.phase = onPublished(p.phase)!;
    this.pending = undefined;
    this.lastEnd = performance.now();
    this.replayDeferred();
    this.onCompleted?.(done);
    p.resolve(done);
    this.next();
  }

  private abort(p: Pending, reason: CheckpointAbortReason, detail: string): void {
    const next = onAbort(p.phase, phaseCause(reason));
    if (next === undefined) return;
    p.phase = next;
    if (p.timer) clearTimeout(p.timer);
    this.pending = undefined;
    this.lastEnd = performance.now();
    recordAborted(this.stats, { id: p.id, reason: detail });
    this.broadcast({ type: 'abort', checkpointId: p.id });
    this.replayDeferred();
    p.reject(new CheckpointAbortedError(p.id, reason, detail));
    // Not the abort of a stopping job's checkpoint: that one did not fail.
    const tooMany = this.stopped || !p.countable ? undefined : this.failures.failed(p.kind, `checkpoint ${p.id} ${detail}`);
    if (tooMany !== undefined) { this.onError(tooMany); return; }
    this.next();
  }

  private replayDeferred(): void {
    for (const m of this.deferred.splice(0)) void this.onMessage(m);
  }

  private next(): void {
    const q = this.queue.shift();
    if (q && !this.stopped) this.begin(q.kind, q.name, q.resolve, q.reject);
    else if (q) q.reject(new CheckpointRefusedError(this.endedAs));
  }

  private broadcast(m: CoordinatorMessage): void {
    for (const port of this.ports) port.postMessage(m);
  }

  /** A manifest's name and kind of the operator behind `uid`. */
  private identity(uid: string): { name: string; kind?: string } {
    const n = this.nodeByUid.get(uid);
    return n === undefined ? { name: uid } : { name: n.name, kind: n.kind };
  }

  /** The manifest of `p`: chains as they stand, non-keyed parts, source positions, in-flight records. */
  private buildManifest(p: Pending, kind: CheckpointKind = p.kind): Manifest {
    const operators: Record<string, OperatorManifest> = {};
    const opParallelism = new Map<string, number>();
    for (const t of this.plan.tasks) for (const id of t.nodeIds) { const n = this.graph.nodes[id]!; opParallelism.set(n.uid ?? n.name, t.parallelism); }
    let keyedEntries = 0;
    for (const [uid, groups] of this.chains) {
      // State of operators this job no longer has (restored with allowNonRestoredState) is not carried on.
      if (!this.nodeByUid.has(uid)) continue;
      const keyGroups: Record<string, KeyGroupChain> = {};
      for (const [kg, g] of groups) {
        if (g.entries === 0 && g.chain.length === 1 && g.chain[0]!.full) continue; // an emptied group: nothing to restore
        keyGroups[kg] = { chain: g.chain, entries: g.entries };
        keyedEntries += g.entries;
      }
      operators[uid] = { ...this.identity(uid), parallelism: opParallelism.get(uid) ?? 0, keyGroups };
    }
    const sources: Record<string, { kind?: string; splits: SourceSplit[]; perSubtask: number[] }> = {};
    const partsByUid = new Map<string, { redistribute: Redistribution; parts: (ChunkRef | null)[] }>();
    const watermarks: Record<string, (number | null)[]> = {};
    // Only with channel state: without, a restore has no watermarks to replay. Format 3 only with frames among
    // inputs' records: an older sluice would replay those as records, and ignores channelTimes in a format 2.
    const channelTimes: Record<string, ChannelTimesRecord> = {};
    const keepTimes = p.inFlight.size > 0;
    for (const pl of this.plan.placements) {
      const key = `${pl.task}/${pl.subtask}`;
      const snap = p.acks.get(key) ?? this.finished.get(key)?.snapshot;
      const parts = p.parts.get(key) ?? this.finished.get(key)?.parts ?? [];
      if (!snap) continue;
      if (keepTimes && snap.channels !== undefined) {
        channelTimes[`${this.headUid(pl.task)}/${pl.subtask}`] = { ...snap.channels, channels: gateChannels(this.graph, this.plan, pl.task, pl.subtask) };
      }
      if (snap.watermark !== undefined) {
        (watermarks[this.headUid(pl.task)] ??= new Array<number | null>(this.plan.tasks[pl.task]!.parallelism).fill(null))[pl.subtask] = snap.watermark;
      }
      if (snap.source) {
        const uid = this.headUid(pl.task);
        const kind = this.nodeByUid.get(uid)?.source;
        // Placements come in subtask order; a subtask with no snapshot holds none.
        const perSubtask = new Array<number>(this.plan.tasks[pl.task]!.parallelism).fill(0);
        const src = (sources[uid] ??= kind === undefined ? { splits: [], perSubtask } : { kind, splits: [], perSubtask });
        src.splits.push(...snap.source);
        src.perSubtask[pl.subtask] = snap.source.length;
      }
      for (const part of parts) {
        let e = partsByUid.get(part.uid);
        if (!e) { e = { redistribute: part.redistribute, parts: new Array(this.plan.tasks[pl.task]!.parallelism).fill(null) }; partsByUid.set(part.uid, e); }
        e.parts[pl.subtask] = part.ref;
      }
    }
    for (const [uid, e] of partsByUid) {
      const prev = operators[uid];
      operators[uid] = { ...(prev ?? { ...this.identity(uid), parallelism: opParallelism.get(uid) ?? e.parts.length }), operatorState: e };
    }
    const taskParallelism: Record<string, number> = {};
    for (const t of this.plan.tasks) taskParallelism[this.headUid(t.id)] = t.parallelism;
    const inFlight = p.inFlight.size > 0 ? Object.fromEntries(p.inFlight) : undefined;
    const channels: Record<string, ChannelShape> = {};
    const heads = new Set([...p.inFlight.keys()].map((k) => k.slice(0, k.lastIndexOf('/'))));
    for (const t of this.plan.tasks) if (heads.has(this.headUid(t.id))) channels[this.headUid(t.id)] = channelShape(this.graph, this.plan, t.id);
    return sealManifest({
      format: p.inputFrames ? CHANNEL_TIMES_FORMAT : MANIFEST_FORMAT, id: p.id, kind, ...(p.name !== undefined ? { name: p.name } : {}), createdAt: new Date().toISOString(),
      maxParallelism: this.plan.maxParallelism, jobFingerprint: this.jobFingerprint, operatorShapes: this.shapes, operators, sources,
      ...(inFlight ? { inFlight, channels } : {}), ...(Object.keys(watermarks).length > 0 ? { watermarks } : {}),
      ...(Object.keys(channelTimes).length > 0 ? { channelTimes } : {}), taskParallelism, keyedEntries,
      finished: this.expected.every((k) => this.finished.has(k)),
    });
  }

  /**
   * A checkpoint that holds these final states is published, its commit durably done: their sinks' transactions
   * (the end of input, and any not yet confirmed) are left out of later manifests. Carried on, every later
   * checkpoint published them again (a part a consumer took was then gone at each), and so did every restore.
   */
  private publishedFinalTransactions(ended: readonly [string, FinalState][]): void {
    for (const [key, f] of ended) {
      // Replaced meanwhile (a deferred report): that one is not published yet.
      if (this.finished.get(key) !== f) continue;
      this.finished.set(key, { snapshot: f.snapshot, parts: f.parts.map((part) => (part.ref !== null && this.sinksByUid.get(part.uid)?.commit !== undefined ? { ...part, ref: null } : part)) });
    }
  }

  /** Publishes `m`'s transactions, warned about after checkpointTimeoutMs and bounded by drain() (SinkCommitWait). */
  private commitSinks(m: Manifest, label: string, waits: string): Promise<unknown> {
    const commit = publishSinkTransactions(this.store, m, this.sinksByUid, () => writePublishedMark(this.store.dir, m.id), this.options.warnOnce);
    // Begun once finish() waits (a periodic checkpoint's manifest was still being written then): the job's end waits too.
    this.commitWait = new SinkCommitWait(label, commit, this.options.timeoutMs, this.options.warn, this.ending ? END_WAITS : waits);
    return commit;
  }

  /**
   * Keeps the newest `retained` checkpoints of the current lineage (lineage-mark.ts: what a resume or a restart
   * may take), any others among the newest `retained` (abandoned by a run that started over: until superseded), and
   * every savepoint; deletes the rest and their unshared chunks. By id alone, abandoned checkpoints would be kept and
   * the one the run started from deleted.
   */
  private async retain(completedId: number): Promise<void> {
    const ids = await this.store.manifestIds();
    const savepoints = new Map<number, string[]>();
    for (const s of await this.store.savepoints()) if (s.id !== undefined) savepoints.set(s.id, [...(savepoints.get(s.id) ?? []), s.name]);
    const lineage = this.options.lineage;
    const keep: Manifest[] = [];
    const drop: number[] = [];
    let savepointUnreadable = false;
    let kept = 0;
    let newest = 0;
    for (const id of ids) {
      if (savepoints.has(id)) {
        // Thrown, every checkpoint of every run in the directory failed here after completing: the user must delete it.
        try { keep.push(await this.store.readManifest(id)); } catch (e) { savepointUnreadable = true; this.warnDamagedSavepoint(id, e as Error, savepoints.get(id)!); }
        continue;
      }
      const ours = inLineage(lineage, id);
      if ((ours && kept < this.options.retained) || newest < this.options.retained) {
        try { keep.push(await this.store.readManifest(id)); if (ours) kept++; } catch (e) { drop.push(id); this.warnUnreadableDropped(id, e as Error); }
      } else {
        drop.push(id);
      }
      newest++;
    }
    await this.store.deleteManifests(drop);
    // Chunks a damaged savepoint may refer to are unknown: none go until it is deleted (as delete-savepoint.ts).
    if (savepointUnreadable) return;
    // Refs held in memory (chains extended by late acks, final states) belong to manifests still to come.
    const live: string[] = [];
    for (const groups of this.chains.values()) for (const g of groups.values()) for (const r of g.chain) live.push(r.key);
    for (const f of this.finished.values()) for (const part of f.parts) if (part.ref) live.push(part.ref.key);
    await this.store.collectGarbage(keep, completedId + 1, live);
  }

  private warnDamagedSavepoint(id: number, e: Error, names: readonly string[]): void {
    const named = names.map((n) => `'${n}'`).join(', ');
    const del = names.map((n) => `sluice savepoint ${this.store.dir} ${n} --delete`).join(', ');
    this.warnOnce(`damaged-savepoint:${id}`, `savepoint ${named} (checkpoint ${id}) in ${this.store.dir} cannot be read: ${e.message}. `
      + `Retention deletes no chunks while it is there (it may hold any of them): delete it with ${del}, or mend it from a copy`);
  }

  private warnUnreadableDropped(id: number, e: Error): void {
    this.warnOnce(`unreadable-checkpoint:${id}`, `checkpoint ${id} in ${this.store.dir} cannot be read (${e.message}): retention deleted it`);
  }

  private warnOnce(key: string, message: string): void {
    if (this.options.warnOnce !== undefined) this.options.warnOnce(key, message);
    else this.options.warn?.(message);
  }

  /** Resolves once every subtask has reported its final state (its message may trail the thread's own result). */
  awaitFinished(timeoutMs: number): Promise<void> {
    if (this.finished.size >= this.expected.length) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.onFinished = undefined;
        // Their reports wait for the checkpoint in flight (finalStateWaits): one whose sinks' commit has not returned
        // is the cause, not the subtasks.
        const p = this.pending;
        const waiting = p?.phase === PUBLISHING && this.deferred.some((d) => d.type === 'finished')
          ? `: their reports wait for checkpoint ${p.id}, whose sinks' commit has not returned`
          : '';
        reject(new Error(`the job ended but ${this.expected.length - this.finished.size} subtask(s) did not report their final state within ${timeoutMs} ms${waiting}`));
      }, timeoutMs);
      this.onFinished = () => {
        if (this.finished.size < this.expected.length) return;
        clearTimeout(timer);
        this.onFinished = undefined;
        resolve();
      };
    });
  }

  private onFinished: (() => void) | undefined;

  /**
   * The job ended: every subtask reported its final state. Writes a final manifest (so a resume does not run the
   * job again) and publishes the remaining sink transactions.
   */
  async finish(): Promise<Manifest | undefined> {
    this.stop();
    this.ending = true;
    // A periodic checkpoint's commit still running: the job's end waits for it too, which its warning must say.
    if (this.completion !== undefined) this.commitWait?.nowWaits(END_WAITS);
    await this.completion;
    // Closed meanwhile (a cancel, and drain() then waited for that completion or gave it up): the attempt is over.
    if (this.closed || this.finished.size < this.expected.length) return undefined;
    return this.asCompletion((written) => this.finishInner(written));
  }

  private async finishInner(written: () => void): Promise<Manifest> {
    // Settled, not all: the failure said as above, not LevelDB's bare error.
    await Promise.allSettled([...this.writes]);
    if (this.writeFailure) throw this.writeFailure;
    const id = this.nextId++;
    const p: Pending = {
      id, kind: 'final', name: undefined, startedAt: performance.now(), acks: new Map(), ...this.finalStates, maxSyncMs: 0, unaligned: false,
      parts: new Map(), inFlight: new Map(), inputFrames: false, timer: undefined, phase: WRITING_MANIFEST, countable: false, resolve: () => {}, reject: () => {},
    };
    // The final states were recorded under ids that may belong to an aborted checkpoint: rewrite their parts here.
    for (const [key, f] of this.finished) p.parts.set(key, f.parts);
    const m = this.buildManifest(p, 'final');
    await this.store.commitManifest(m);
    written();
    this.latest = m;
    const committedAt = performance.now();
    await this.commitSinks(m, `the final checkpoint ${id}`, END_WAITS);
    // Given up by drain() (a cancel): as a checkpoint's completion, no retention.
    if (this.detached) return m;
    await this.retain(id);
    // Reported like any other: it is what a resume loads, so the summary must not end one before it.
    const done: CompletedCheckpoint = {
      id, kind: 'final', name: undefined, durationMs: committedAt - p.startedAt, bytesWritten: p.bytes, chunksWritten: p.chunks,
      keyedEntries: m.keyedEntries, dirtyEntries: p.dirty, maxSyncMs: p.maxSyncMs, unaligned: false, commitMs: performance.now() - committedAt,
    };
    recordCompleted(this.stats, done);
    this.onCompleted?.(done);
    return m;
  }

  /**
   * No more checkpoints: the one in flight is aborted. Final-state reports are still received (see finish).
   * `failed`: the attempt failed (its threads stop, and the job restarts or fails), which the refusals say: "the
   * job stopped" read as if a savepoint's job had ended, while it ran on after its restart.
   */
  stop(failed = false): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.sampler) clearInterval(this.sampler);
    const why = failed ? 'attempt-failed' : 'stopped';
    this.endedAs = why;
    // Before the abort below: it would begin the first of them (next()) only to refuse it with another message.
    for (const q of this.queue.splice(0)) q.reject(new CheckpointNotStartedError(why));
    // One whose acks are all in is being committed: it finishes (drain() waits for its manifest, and a grace for its sinks).
    if (this.pending) this.abort(this.pending, why, endedText(why));
  }

  /** Stops listening to the workers. */
  close(): void {
    this.stop();
    this.closed = true;
    for (const port of this.ports) port.off('message', this.listener);
  }

  /** The attempt is over: finish() starts no final checkpoint after a completion it waited for. */
  private closed = false;
  /** finish() runs: the job's end waits for any sinks' commit. */
  private ending = false;
  /** The sinks' commit of the completion in progress (or the last one): drain() bounds it. */
  private commitWait: SinkCommitWait | undefined;
  /** drain() gave up on the completion in progress: what is left of it (retention) must not run. */
  private detached = false;

  /**
   * Waits for the completion in progress and chunk writes still in flight (before the store closes). Once its
   * manifest is committed, a completion still running after `graceMs` more (a sink's commit that does not return)
   * is given up: the checkpoint is complete and its PUBLISHED mark written, so a resume publishes its transactions
   * again; waiting for it, a cancel never returned. A cancel waits `stop.cancelGraceMs` from then; otherwise (a
   * failed attempt, whose restart would publish the same transactions beside the running commit) it waits
   * `stop.failureGraceMs` (SinkCommitWait). Returns why it gave up, else undefined.
   */
  async drain(stop: CommitStop = { cancelled: Promise.resolve(), cancelGraceMs: Infinity, failureGraceMs: Infinity }): Promise<string | undefined> {
    // Never before its manifest is committed: a write landing after a restart began could take an id it reuses.
    if (this.completion !== undefined) await this.manifestWritten;
    const completion = this.completion;
    if (completion !== undefined) {
      let gaveUp: string | undefined;
      if (this.commitWait !== undefined) gaveUp = await this.commitWait.bounded(completion, stop);
      else await completion; // no commit: its manifest failed, and it is ending
      if (gaveUp !== undefined) {
        this.detached = true;
        return gaveUp;
      }
    }
    await Promise.allSettled([...this.writes]);
    return undefined;
  }
}
