// Runs on: the worker thread of a file sink subtask.
//
// Exactly-once file output by two-phase commit. Records go into a hidden in-progress part file; a part rolls
// (closes and opens the next) at a size, a record count or an age (`rollIntervalMs`), and at the end of input and
// at a savepoint. At a barrier the open part stays open (as Flink's row-format FileSink keeps it): it is flushed
// and fsynced, and the transaction records its durable length (`open`). `prepareCommit` also makes every part
// closed since the last barrier durable under a pending name; `commit` publishes a completed checkpoint's closed
// parts by atomic rename, idempotently. After a crash, `recover` publishes the restored transactions' closed
// parts, cuts a part that was open at the checkpoint to its recorded length and publishes it, and deletes this
// subtask's other in-progress and pending leftovers: output that no completed checkpoint vouches for. Each
// transaction records the CRC-32 of its parts' bytes (of an open part's first `bytes`), kept as they are flushed;
// `recover` reads a part back and checks it before publishing it (a commit does not).
//
// Writes are synchronous (writeSync from a buffer): `write` and `prepareCommit` are synchronous in the sink
// contract, and the barrier must find the bytes on disk.

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { crc32 } from 'node:zlib';
import { ConnectorOptionError, EncodeError, FileCommitError } from '../errors.js';
import type { CommitContext, SinkWriter } from '../sink.js';
import { makeDir } from '../../runtime/make-dir.js';
import {
  FILE_SINK_OPEN_KIND, checkPartNames, checkPendingPart, type PartCheck, finalName, inProgressName, isFileSinkTransaction, leftoverParts, pendingName, publishPart, publishPartSync, readyOpenPart,
  removeFile, removeFileSync, syncDir, syncDirSync, type FileSinkTransaction, type OpenPartFile, type PartFile, type PartNames, type ReadiedOpenPart,
} from './part-files.js';
import { CommittedParts } from './committed-parts.js';
import { shownValue } from '../../api/shown-value.js';
import { isNumber } from '../../api/number-option.js';

export type { PartNames } from './part-files.js';

/**
 * The sizes and age a part rolls at, checked as the writer takes them: `fileSink()` calls this while the job is
 * built, so a bad value fails there rather than in each subtask's writer (where a job that checkpoints restarted
 * on it, attempt after attempt). `what`: the message's prefix.
 */
export function checkRollOptions(o: { rollBytes?: unknown; rollRecords?: unknown; bufferBytes?: unknown; rollIntervalMs?: unknown }, what: string): void {
  for (const [k, v, min] of [['rollBytes', o.rollBytes, 1], ['rollRecords', o.rollRecords, 1], ['bufferBytes', o.bufferBytes, 0]] as const) {
    if (v !== undefined && v !== null && !(isNumber(v) && v >= min)) throw new ConnectorOptionError(`${what}: ${k} must be a number >= ${min}, got ${shownValue(v)}`);
  }
  const ms = o.rollIntervalMs;
  if (ms !== undefined && ms !== null && !(isNumber(ms) && Number.isFinite(ms) && ms >= 0)) {
    throw new ConnectorOptionError(`${what}: rollIntervalMs must be a finite number >= 0 (0: roll at every checkpoint), got ${shownValue(ms)}`);
  }
}

export interface RollingFileWriterOptions<T> {
  /** Output directory (created if missing). */
  dir: string;
  subtask: number;
  /** One record's bytes, its line end included (a JsonLinesEncoder or CsvEncoder `encode`). */
  encode: (value: T) => string | Uint8Array;
  /** Written at the start of every part, e.g. a CSV header. */
  header?: string | Uint8Array;
  /** Default 'part'. */
  prefix?: string;
  /** Default '', e.g. '.jsonl'. */
  suffix?: string;
  /** Roll a part once it holds this many bytes. Default 128 MiB. */
  rollBytes?: number;
  /** Roll a part once it holds this many records. Default unlimited. */
  rollRecords?: number;
  /** Bytes gathered in memory before a write system call. Default 64 KiB; 0 writes every record at once. */
  bufferBytes?: number;
  /**
   * Roll a part once it has been open this long (checked at barriers and at writes that flush the buffer). Default
   * 60 s (Flink's rollover interval). 0: roll at every barrier (each checkpoint publishes what was written before it).
   */
  rollIntervalMs?: number;
  /** The clock for `rollIntervalMs`, ms (tests). Default performance.now (monotonic: a wall-clock step does not move a roll). */
  now?: () => number;
}

export interface RecoveryReport {
  /** Final names published by the restored transactions (including ones a crashed commit already published). */
  readonly committed: string[];
  /** Leftover in-progress and pending files deleted. */
  readonly discarded: string[];
}

interface OpenPart {
  readonly final: string;
  readonly fd: number;
  bytes: number;
  records: number;
  /** When it is due to roll by age (`now()` time). */
  readonly rollAt: number;
  /** A transaction named it: its name was made durable, and an abort keeps it for a resume. */
  named: boolean;
  /** Its length at its last fsync: a barrier with nothing new since syncs nothing (a quiet sink's parts stay open). */
  synced: number;
  /** CRC-32 of the bytes written to its file so far (flushed: at a barrier and a close, all `bytes`). */
  crc: number;
}

export class RollingFileWriter<T> implements SinkWriter<T> {
  readonly dir: string;
  readonly subtask: number;
  /** Random per writer: part names of different attempts never collide. */
  readonly token = randomBytes(4).toString('hex');
  private readonly names: PartNames;
  private readonly encode: (value: T) => string | Uint8Array;
  private readonly header: Buffer | undefined;
  private readonly rollBytes: number;
  private readonly rollRecords: number;
  private readonly bufferBytes: number;
  private readonly rollIntervalMs: number;
  private readonly now: () => number;
  private part: OpenPart | undefined;
  private partCount = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Parts closed (pending) since the last prepareCommit. */
  private closed: PartFile[] = [];
  /** Of those, the ones a transaction named while they were open (pending names): an abort keeps them. */
  private closedNamed = new Set<string>();
  /** Prepared and not yet known to be committed. */
  private uncommitted: FileSinkTransaction[] = [];
  private finished = false;
  /**
   * Keep prepared transactions for `finish` and this writer's own `commit`. False when the runtime commits them
   * on the main thread (the file sink, with checkpoints): then nothing prepared accumulates here.
   */
  retainPrepared = true;

  constructor(options: RollingFileWriterOptions<T>) {
    this.dir = resolve(options.dir);
    this.subtask = options.subtask;
    this.names = { prefix: options.prefix ?? 'part', suffix: options.suffix ?? '' };
    checkPartNames(this.names);
    if (!Number.isSafeInteger(this.subtask) || this.subtask < 0) throw new ConnectorOptionError(`file sink: subtask must be a non-negative integer, got ${shownValue(options.subtask)}`);
    if (typeof options.encode !== 'function') throw new ConnectorOptionError('file sink: encode must be a function (value) => string | Uint8Array');
    this.encode = options.encode;
    this.header = options.header === undefined ? undefined : Buffer.from(options.header);
    this.rollBytes = options.rollBytes ?? 128 * 1024 * 1024;
    this.rollRecords = options.rollRecords ?? Infinity;
    this.bufferBytes = options.bufferBytes ?? 64 * 1024;
    this.rollIntervalMs = options.rollIntervalMs ?? 60_000;
    this.now = options.now ?? (() => performance.now());
    checkRollOptions(options, 'file sink');
    if (typeof this.now !== 'function') throw new ConnectorOptionError('file sink: now must be a function () => number');
    // Its name, and any parent's it made, must survive a crash: the checkpoints name parts in it.
    makeDir(this.dir, syncDirSync);
  }

  write(value: T): void {
    if (this.finished) throw new FileCommitError('file sink: write after finish');
    let encoded: string | Uint8Array;
    try {
      encoded = this.encode(value);
    } catch (e) {
      if (e instanceof EncodeError) throw e;
      throw new EncodeError(`file sink: encode failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    const bytes = typeof encoded === 'string' ? Buffer.from(encoded) : Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength);
    const part = this.part ?? this.openPart();
    this.chunks.push(bytes);
    this.buffered += bytes.length;
    part.bytes += bytes.length;
    part.records++;
    let roll = part.bytes >= this.rollBytes || part.records >= this.rollRecords;
    if (this.buffered >= this.bufferBytes) {
      this.flush();
      // The age at the writes that flush (beside a system call), not at every record: the clock costs ~5% of a
      // write. Barriers check it too, so a checkpointed part is never published later for it.
      roll ||= this.rollIntervalMs > 0 && this.now() >= part.rollAt;
    }
    if (roll) this.closePart();
  }

  /**
   * At a barrier: the parts closed since the last barrier become pending and durable, and the open part (unless it
   * is due to roll, or this is the end of input (-1) or a savepoint) is made durable up to its current length;
   * together they are the transaction.
   */
  prepareCommit(checkpointId: number, savepoint = false): FileSinkTransaction {
    let part = this.part;
    // The end of input and a savepoint publish everything (a stopped job leaves no output hidden).
    if (part !== undefined && (checkpointId < 0 || savepoint || this.rollIntervalMs === 0 || this.now() >= part.rollAt)) {
      this.closePart();
      part = undefined;
    }
    let open: OpenPartFile | undefined;
    let syncNames = this.closed.length > 0;
    if (part !== undefined) {
      if (part.bytes !== part.synced) {
        this.flush();
        fsyncSync(part.fd);
        part.synced = part.bytes;
      }
      open = { inProgress: inProgressName(part.final), final: part.final, bytes: part.bytes, records: part.records, crc: part.crc };
      // Its name too must survive a crash once a transaction names it (once per part).
      if (!part.named) { part.named = true; syncNames = true; }
    }
    // The pending names must survive a crash before the checkpoint is acknowledged.
    if (syncNames) syncDirSync(this.dir);
    const tx: FileSinkTransaction = open === undefined
      ? { kind: 'file-sink', checkpointId, subtask: this.subtask, dir: this.dir, parts: this.closed }
      : { kind: FILE_SINK_OPEN_KIND, checkpointId, subtask: this.subtask, dir: this.dir, parts: this.closed, open };
    this.closed = [];
    this.closedNamed.clear();
    if (this.retainPrepared) this.uncommitted.push(tx);
    return tx;
  }

  /** A checkpoint completed (or a restore): publish its parts. Idempotent; transactions are applied in checkpoint order. */
  async commit(transactions: unknown[]): Promise<void> {
    this.committed(await commitFileSinkTransactions(transactions));
  }

  /**
   * Restore: publish the restored transactions' parts (closed ones, and ones open at their checkpoint, cut to the
   * length it recorded), then delete this subtask's in-progress and pending files that no restored transaction
   * names (written after the restored checkpoint by a crashed attempt).
   */
  async recover(restored: unknown[]): Promise<RecoveryReport> {
    const txs = inCheckpointOrder(restored);
    // This writer's own parts (its token) are not leftovers.
    const report = await restoreTransactions(this.dir, this.names, txs, { subtask: this.subtask, keep: `-${this.subtask}-${this.token}-` });
    this.committed(txs);
    return report;
  }

  /**
   * End of a bounded input: close the open part and publish everything this writer still holds, prepared or not
   * (the end of the input is final). With checkpoints, the runtime takes a last checkpoint before this, which
   * leaves nothing here. Returns the final names published.
   */
  finish(): { files: string[] } {
    if (this.finished) return { files: [] };
    this.finished = true;
    if (this.part !== undefined) this.closePart();
    const txs = [...this.uncommitted, { kind: 'file-sink' as const, checkpointId: Infinity, subtask: this.subtask, dir: this.dir, parts: this.closed }];
    this.closed = [];
    this.closedNamed.clear();
    this.uncommitted = [];
    const files: string[] = [];
    for (const tx of txs) for (const part of tx.parts) { publishPartSync(tx.dir, part); files.push(part.final); }
    if (files.length > 0) syncDirSync(this.dir);
    return { files };
  }

  /**
   * Stops without publishing (job cancelled or failed): closes the open part and deletes the parts closed since
   * the last barrier, which no transaction holds (left, a cancelled run that is never resumed left them for good),
   * unless a transaction named them while they were open, and the open part unless a transaction named it.
   * Prepared parts stay: their checkpoint may have completed, and a resume publishes them (an open one cut to the
   * checkpoint's length).
   */
  abort(): void {
    this.finished = true;
    const part = this.part;
    this.part = undefined;
    this.chunks = [];
    this.buffered = 0;
    if (part !== undefined) {
      closeSync(part.fd);
      if (!part.named) removeFileSync(join(this.dir, inProgressName(part.final)));
    }
    // A part a transaction named while it was open holds that checkpoint's bytes: a resume cuts and publishes it.
    for (const p of this.closed) if (!this.closedNamed.has(p.pending)) removeFileSync(join(this.dir, p.pending));
    this.closed = [];
    this.closedNamed.clear();
  }

  private committed(txs: readonly FileSinkTransaction[]): void {
    const done = new Set(txs.map((t) => `${t.subtask}/${t.checkpointId}`));
    this.uncommitted = this.uncommitted.filter((t) => !done.has(`${t.subtask}/${t.checkpointId}`));
  }

  private openPart(): OpenPart {
    const final = finalName(this.names, this.subtask, this.token, this.partCount++);
    const fd = openSync(join(this.dir, inProgressName(final)), 'wx');
    const part: OpenPart = { final, fd, bytes: 0, records: 0, rollAt: this.rollIntervalMs > 0 ? this.now() + this.rollIntervalMs : 0, named: false, synced: 0, crc: 0 };
    this.part = part;
    if (this.header !== undefined) {
      this.chunks.push(this.header);
      this.buffered += this.header.length;
      part.bytes += this.header.length;
    }
    return part;
  }

  private flush(): void {
    const part = this.part;
    if (part === undefined || this.buffered === 0) return;
    const data = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    this.chunks = [];
    this.buffered = 0;
    // Native (zlib), once a flush: a restore checks the part's bytes against it.
    part.crc = crc32(data, part.crc);
    let off = 0;
    while (off < data.length) off += writeSync(part.fd, data, off, data.length - off);
  }

  private closePart(): void {
    const part = this.part!;
    this.flush();
    fsyncSync(part.fd);
    closeSync(part.fd);
    this.part = undefined;
    const pending = pendingName(part.final);
    renameSync(join(this.dir, inProgressName(part.final)), join(this.dir, pending));
    this.closed.push({ pending, final: part.final, bytes: part.bytes, records: part.records, crc: part.crc });
    if (part.named) this.closedNamed.add(pending);
  }
}

/** A transaction's place in checkpoint order: the end of input (-1) comes after every checkpoint (as in sink-commit.ts). */
const checkpointOrder = (t: FileSinkTransaction): number => (t.checkpointId < 0 ? Infinity : t.checkpointId);

/** File sink transactions (checked), in checkpoint order. */
function inCheckpointOrder(transactions: readonly unknown[]): FileSinkTransaction[] {
  return transactions.map(checkTransaction).sort((a, b) => checkpointOrder(a) - checkpointOrder(b));
}

/**
 * What a commit or restore on the main thread is told, so that it keeps the sink's record of the parts it fully
 * published (committed-parts.ts) and takes a part that record lists, and that is gone, as taken by a consumer.
 * Without it (a writer's own commit, tests) nothing is recorded and nothing counts as taken.
 */
export interface CommitRecord {
  readonly names: PartNames;
  readonly context: CommitContext;
}

/** `tx`'s closed parts published as checkpoint `by` found them; its open part restamped where a publish of it is on record. */
function stamp(r: CommittedParts, tx: FileSinkTransaction, by: number): void {
  for (const part of tx.parts) r.published(part.final, part.bytes, by);
  // Still open at this checkpoint: counts only once a restore's publish of it is on record (then, or earlier).
  if (tx.open !== undefined && r.vouches(tx.open.final, tx.open.bytes, true)) r.restamp(tx.open.final, by);
}

/** The records of the directories a commit touches, read once each. */
class Records {
  private readonly byDir = new Map<string, CommittedParts>();
  constructor(private readonly of: CommitRecord) {}

  get(dir: string): CommittedParts {
    let r = this.byDir.get(dir);
    if (r === undefined) { r = CommittedParts.read(dir, this.of.names); this.byDir.set(dir, r); }
    return r;
  }

  taken(dir: string, final: string): void {
    const file = this.get(dir).file;
    this.of.context.warnOnce(`file-sink-taken:${file}`, `file sink: ${join(dir, final)} was published and is gone (taken by a consumer of the directory?): ${file} records its publish, so it is not published again. Said once per run, for the first such part`);
  }

  /**
   * The next records of a commit or restore (`txs` published, `opened` as a restore found or readied its open parts,
   * restamped, old entries pruned), staged durably before its renames: the records as read stay the evidence the
   * renames are checked against. Those that changed, for install after them.
   */
  async stage(txs: readonly FileSinkTransaction[], opened: readonly Opened[]): Promise<CommittedParts[]> {
    const by = this.of.context.checkpointId;
    const next = new Map<string, CommittedParts>();
    const nextOf = (dir: string): CommittedParts => {
      let r = next.get(dir);
      if (r === undefined) { r = this.get(dir).copy(); next.set(dir, r); }
      return r;
    };
    for (const tx of txs) stamp(nextOf(tx.dir), tx, by);
    for (const { dir, open, ready } of opened) {
      const r = nextOf(dir);
      // Listed once its rename is in place (install comes after the renames), at the length it was cut to.
      if (ready.result === 'published' || ready.result === 'already-published') r.published(open.final, open.bytes, by);
      else r.restamp(open.final, by);
    }
    const staged: CommittedParts[] = [];
    for (const r of next.values()) {
      r.prune(this.of.context.stored);
      if (await r.stage()) staged.push(r);
    }
    return staged;
  }
}

/** A part open at a restored checkpoint, and what its restore found it to be or readied it for. */
interface Opened {
  readonly dir: string;
  readonly open: OpenPartFile;
  readonly ready: ReadiedOpenPart;
}

/** Publishes transactions' parts by atomic rename, in checkpoint order (any thread; idempotent). */
export async function commitFileSinkTransactions(transactions: readonly unknown[], record?: CommitRecord): Promise<FileSinkTransaction[]> {
  const txs = inCheckpointOrder(transactions);
  await publish(txs, record === undefined ? undefined : new Records(record), [], false);
  return txs;
}

/**
 * The closed parts of `txs` and a restore's `openParts`, published and made durable (the directories synced): a
 * commit's and a restore's publish alike. With `records`, the next records are staged before the renames and put
 * in place right after them, so that the fsync that makes the renames durable covers them too, and a crash leaves
 * parts published but unlisted only among the renames (a closed part listed ahead of a rename lost to a power cut
 * still has its pending file: it is published as usual). Open parts are cut and made durable under their pending
 * names first: renames alone come between the record's staging and its install.
 */
async function publish(txs: readonly FileSinkTransaction[], records: Records | undefined, openParts: readonly OpenAt[], restore: boolean): Promise<Opened[]> {
  // Before any file is cut or renamed: a damaged part fails the restore with nothing of it done.
  if (restore) for (const tx of txs) for (const part of tx.parts) await checkPendingPart(tx.dir, part, { checkpointId: tx.checkpointId });
  const opened: Opened[] = [];
  for (const o of openParts) opened.push({ dir: o.dir, open: o.open, ready: await readyOpenPart(o.dir, o.open, records?.get(o.dir), checkOf(restore, o.checkpointId)) });
  const staged = records === undefined ? [] : await records.stage(txs, opened);
  const dirs = new Set<string>();
  for (const tx of txs) {
    const evidence = records?.get(tx.dir);
    for (const part of tx.parts) if (await publishPart(tx.dir, part, evidence) === 'taken') records!.taken(tx.dir, part.final);
    if (tx.parts.length > 0) dirs.add(tx.dir);
  }
  for (const { dir, open: part, ready } of opened) {
    if (ready.result === 'taken') records!.taken(dir, part.final);
    if (ready.result === 'published') await rename(ready.pending, ready.final);
    // Found published (a crash after the rename): synced too, before the record vouches for it.
    if (ready.result === 'published' || ready.result === 'already-published') dirs.add(dir);
  }
  for (const r of staged) {
    await r.install();
    dirs.add(r.directory);
  }
  for (const d of dirs) await syncDir(d);
  return opened;
}

/** A restore reads its parts back before publishing them; a commit does not. */
const checkOf = (restore: boolean, checkpointId: number): PartCheck | undefined => (restore ? { checkpointId } : undefined);

/** A restore's test seam (specs only, never set by the sink): where a spec's job stops the process. */
export interface RecoverHooks {
  /** Awaited once the restore's publish is durable (its renames and its record fsynced), before its leftovers are deleted. */
  readonly published?: () => Promise<void>;
}

/**
 * Restore of a whole sink (main thread, before any writer starts): publishes the restored transactions, then
 * deletes the in-progress and pending parts of every subtask in `dir` that they do not name: what writers of the
 * crashed attempt wrote after the restored checkpoint. The directory (and prefix) must belong to this sink alone.
 */
export async function recoverFileSink(dir: string, names: PartNames, restored: readonly unknown[], context?: CommitContext, hooks?: RecoverHooks): Promise<RecoveryReport> {
  const records = context === undefined ? undefined : new Records({ names, context });
  return restoreTransactions(resolve(dir), names, inCheckpointOrder(restored), { records, hooks });
}

/**
 * A restore (`txs` in checkpoint order): publishes their closed parts and the parts they hold open, then deletes
 * the in-progress and pending parts in `dir` (of `subtask`, or of every subtask) that no restored transaction
 * names, except names containing `keep`.
 */
async function restoreTransactions(
  dir: string, names: PartNames, txs: readonly FileSinkTransaction[],
  o: { subtask?: number; keep?: string; records?: Records; hooks?: RecoverHooks },
): Promise<RecoveryReport> {
  // Before the leftovers are deleted: an open part's file is hidden until it is published.
  const opened = await publish(txs, o.records, newestOpenParts(txs), true);
  await o.hooks?.published?.();
  const named = new Set(txs.filter((t) => t.dir === dir).flatMap((t) => t.parts.map((p) => p.pending)));
  const discarded: string[] = [];
  for (const f of await leftoverParts(dir, names, o.subtask)) {
    if (named.has(f) || (o.keep !== undefined && f.includes(o.keep))) continue;
    await removeFile(join(dir, f));
    discarded.push(f);
  }
  if (discarded.length > 0) await syncDir(dir);
  return { committed: [...txs.flatMap((t) => t.parts.map((p) => p.final)), ...opened.map((x) => x.open.final)], discarded };
}

/**
 * The parts restored transactions (in checkpoint order) hold open, each at the length of the newest transaction that
 * names it. A restored checkpoint carries every transaction not yet known to be committed (SinkOperator), so a
 * part may be open in one and open at a greater length, or closed, in a newer one: the newest is the restored
 * state (a closed part is published with the closed ones). The end of input (-1) is the newest.
 */
function newestOpenParts(txs: readonly FileSinkTransaction[]): OpenAt[] {
  const newest = new Map<string, OpenAt | undefined>();
  for (const tx of txs) {
    for (const p of tx.parts) newest.set(join(tx.dir, p.final), undefined);
    if (tx.open !== undefined) newest.set(join(tx.dir, tx.open.final), { dir: tx.dir, open: tx.open, checkpointId: tx.checkpointId });
  }
  return [...newest.values()].filter((o) => o !== undefined);
}

/** A part open at a restored transaction's checkpoint. */
interface OpenAt {
  readonly dir: string;
  readonly open: OpenPartFile;
  readonly checkpointId: number;
}

function checkTransaction(t: unknown): FileSinkTransaction {
  if (!isFileSinkTransaction(t)) throw new FileCommitError(`not a file sink transaction: ${JSON.stringify(t)?.slice(0, 200)}`, { permanent: true });
  return t;
}
