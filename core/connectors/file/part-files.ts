// Runs on: the worker thread of a file sink subtask, and the main thread (commits, recovery).
//
// The names and the publishing of a file sink's part files. A part is written as a hidden in-progress file,
// becomes a hidden pending file when it is closed (durable, not yet visible), and is published by an atomic
// rename to its final name when the checkpoint that holds it completes. A part still open at a restored
// checkpoint is cut to the length that checkpoint recorded and published. Names carry the subtask and a random
// token per writer, so no two attempts of a job ever produce the same name and a final name never needs
// overwriting. Readers of the output directory skip hidden files (input-paths.ts does). A transaction records each
// part's CRC-32, and a restore reads a part back and checks it before publishing it.

import { closeSync, fsyncSync, openSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { constants, copyFile, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { ConnectorOptionError, FileCommitError } from '../errors.js';

/** What these find on disk a restart meets again (FileCommitError.permanent). */
const LASTING = { permanent: true } as const;

export interface PartFile {
  /** Hidden pending name, relative to the directory. */
  readonly pending: string;
  /** Final (visible) name, relative to the directory. */
  readonly final: string;
  /** Size in bytes: a final file of another size is not this part. */
  readonly bytes: number;
  readonly records: number;
  /** CRC-32 of its bytes, checked before a restore publishes it (absent in transactions of versions before it). */
  readonly crc?: number;
}

/**
 * The part a writer keeps open across a barrier: its first `bytes` (durable, fsynced at the barrier) are the
 * checkpoint's output. A restore truncates the file to that length and publishes it.
 */
export interface OpenPartFile {
  /** Hidden in-progress name, relative to the directory. */
  readonly inProgress: string;
  readonly final: string;
  /** Durable length at the barrier. */
  readonly bytes: number;
  readonly records: number;
  /** CRC-32 of its first `bytes` bytes, checked before a restore publishes it (absent in transactions of versions before it). */
  readonly crc?: number;
}

/**
 * The kind of a transaction that holds an open part. Versions before open parts read only 'file-sink' and would
 * take one for a transaction of closed parts alone, deleting the open part as a leftover: this kind makes them
 * refuse it (FileCommitError) instead of losing its records.
 */
export const FILE_SINK_OPEN_KIND = 'file-sink/open';

/** What `prepareCommit` returns and a checkpoint stores: plain data. */
export interface FileSinkTransaction {
  /** 'file-sink/open' exactly when `open` is set. */
  readonly kind: 'file-sink' | typeof FILE_SINK_OPEN_KIND;
  readonly checkpointId: number;
  readonly subtask: number;
  /** Absolute directory of the parts. */
  readonly dir: string;
  /** Parts closed since the last barrier: published when the checkpoint completes. */
  readonly parts: readonly PartFile[];
  /** The part still open at the barrier, if any (absent in transactions of versions that always rolled). */
  readonly open?: OpenPartFile;
}

export interface PartNames {
  readonly prefix: string;
  readonly suffix: string;
}

export const IN_PROGRESS = '.inprogress';
export const PENDING = '.pending';

export function finalName(names: PartNames, subtask: number, token: string, n: number): string {
  return `${names.prefix}-${subtask}-${token}-${n}${names.suffix}`;
}
export const inProgressName = (final: string): string => `.${final}${IN_PROGRESS}`;
export const pendingName = (final: string): string => `.${final}${PENDING}`;

export function checkPartNames(names: PartNames): void {
  for (const [k, v] of Object.entries(names)) {
    if (typeof v !== 'string' || v.includes('/') || v.includes('\0')) throw new ConnectorOptionError(`file sink: ${k} must be a string without '/', got ${JSON.stringify(v)}`);
  }
  if (names.prefix.length === 0 || names.prefix.startsWith('.')) throw new ConnectorOptionError(`file sink: prefix must be non-empty and not start with '.', got ${JSON.stringify(names.prefix)}`);
}

export function isFileSinkTransaction(t: unknown): t is FileSinkTransaction {
  const x = t as FileSinkTransaction | null;
  if (x === null || typeof x !== 'object' || typeof x.dir !== 'string' || !Array.isArray(x.parts)) return false;
  if (!x.parts.every((p) => typeof p?.pending === 'string' && typeof p.final === 'string' && Number.isSafeInteger(p.bytes) && isCrc(p.crc))) return false;
  if (x.kind === 'file-sink') return x.open === undefined;
  return x.kind === FILE_SINK_OPEN_KIND && x.open !== null && typeof x.open === 'object' && typeof x.open.inProgress === 'string'
    && typeof x.open.final === 'string' && Number.isSafeInteger(x.open.bytes) && x.open.bytes >= 0 && isCrc(x.open.crc);
}

const isCrc = (c: unknown): boolean => c === undefined || (Number.isInteger(c) && (c as number) >= 0 && (c as number) <= 0xffffffff);

/**
 * Given by a restore alone (a commit at each checkpoint does not read its parts back): a part's bytes are read and
 * checked against its transaction's CRC before they are published. `checkpointId`: the transaction's, for the message.
 */
export interface PartCheck {
  readonly checkpointId: number;
}

/**
 * Fails (FileCommitError) unless the first `bytes` bytes of `path` have CRC-32 `crc`: the open part's bytes are
 * checkpointed state, and a damaged checkpoint is never restored silently. No `crc` (a transaction written before
 * parts carried one): taken as it is.
 */
export async function checkPartBytes(path: string, bytes: number, crc: number | undefined, checkpointId: number): Promise<void> {
  if (crc === undefined) return;
  const found = await crcOf(path, bytes);
  if (found === crc) return;
  const at = checkpointId < 0 ? 'the end of input' : `checkpoint ${checkpointId}`;
  throw new FileCommitError(`cannot commit ${path}: its first ${bytes} bytes are not the ones written before ${at} (CRC-32 ${hex(found)}, recorded ${hex(crc)}): the file was changed after it was written (a disk fault, or a write outside the sink), and it is not published. A restore cannot write it again: if a copy of the file as written exists, put it in its place and resume, else run the job afresh (a new or emptied state directory, without resuming)`, LASTING);
}

const hex = (c: number): string => c.toString(16).padStart(8, '0');

/** CRC-32 of the first `bytes` bytes of `path` (fewer if it is shorter). */
async function crcOf(path: string, bytes: number): Promise<number> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(bytes, 1 << 20));
    let crc = 0;
    for (let pos = 0; pos < bytes;) {
      const { bytesRead } = await h.read(buf, 0, Math.min(buf.length, bytes - pos), pos);
      if (bytesRead === 0) break;
      crc = crc32(buf.subarray(0, bytesRead), crc);
      pos += bytesRead;
    }
    return crc;
  } finally { await h.close(); }
}

export type PublishResult = 'published' | 'already-published' | 'taken';

/**
 * Whether a part with both its hidden and its final file gone was published and then taken away (by a consumer
 * of the directory): the sink's own record says so (committed-parts.ts). Absent: nothing counts as taken.
 */
export interface PublishedEvidence {
  vouches(final: string, bytes: number, orLonger?: boolean): boolean;
}

/**
 * Publishes one pending part: rename to the final name. Idempotent: when the pending file is gone and a final
 * file of the recorded size is there, an earlier commit (perhaps one cut short by a crash) already did it; when
 * both are gone and `evidence` vouches for its publish, a consumer took it ('taken').
 */
export async function publishPart(dir: string, part: PartFile, evidence?: PublishedEvidence): Promise<PublishResult> {
  const pending = join(dir, part.pending);
  const final = join(dir, part.final);
  const d = decide(part, pending, final, await sizeOf(pending), await sizeOf(final), evidence);
  if (d !== 'rename') return d;
  await rename(pending, final);
  return 'published';
}

/**
 * A restore's check of a closed part it is about to publish (a pending file of the recorded size, no final file),
 * made before any of its renames: a damaged part fails the restore with nothing published. A part in any other
 * state is left to `publishPart` to decide.
 */
export async function checkPendingPart(dir: string, part: PartFile, check: PartCheck): Promise<void> {
  const pending = join(dir, part.pending);
  if (part.crc === undefined || await sizeOf(join(dir, part.final)) !== undefined || await sizeOf(pending) !== part.bytes) return;
  await checkPartBytes(pending, part.bytes, part.crc, check.checkpointId);
}

/** The same, synchronously: for the end of a bounded input, where the sink's `finish` is synchronous. */
export function publishPartSync(dir: string, part: PartFile): PublishResult {
  const pending = join(dir, part.pending);
  const final = join(dir, part.final);
  const d = decide(part, pending, final, sizeOfSync(pending), sizeOfSync(final));
  if (d !== 'rename') return d;
  renameSync(pending, final);
  return 'published';
}

function decide(part: PartFile, pending: string, final: string, pendingSize: number | undefined, finalSize: number | undefined, evidence?: PublishedEvidence): 'rename' | 'already-published' | 'taken' {
  if (pendingSize === undefined) {
    if (finalSize === part.bytes) return 'already-published';
    if (finalSize === undefined && evidence?.vouches(part.final, part.bytes) === true) return 'taken';
    throw new FileCommitError(finalSize === undefined
      ? `cannot commit ${final}: neither it nor the pending file ${pending} exists, and the sink's record of published parts does not list it: taken by a consumer in the moment between its publish and the record's (a crash there), or deleted outside the sink before it was published. A restore cannot write it again: if a consumer has it, put it back where it was (the consumer will see it again), else run the job afresh (a new or emptied state directory, without resuming)`
      : `cannot commit ${final}: the pending file is gone and the final file has ${finalSize} bytes, not the ${part.bytes} written`, LASTING);
  }
  if (finalSize !== undefined) throw new FileCommitError(`cannot commit ${pending}: ${final} already exists and would be overwritten`, LASTING);
  if (pendingSize !== part.bytes) throw new FileCommitError(`cannot commit ${pending}: it has ${pendingSize} bytes, not the ${part.bytes} written before the checkpoint`, LASTING);
  return 'rename';
}

export type OpenPublishResult = PublishResult | 'published-longer';

/** What became of an open part readied for its publish: done already, or published by renaming `pending` to `final`. */
export type ReadiedOpenPart =
  | { readonly result: Exclude<OpenPublishResult, 'published'> }
  | { readonly result: 'published'; readonly pending: string; readonly final: string };

/**
 * Readies a part that was open at the restored checkpoint for its publish: its file (in-progress if the crash found
 * it open, pending if it was closed after the checkpoint) is cut to the checkpoint's length and made durable under
 * its pending name; the caller renames it to its final name (a restore's renames come together, after its record is
 * staged) and syncs the directory. Idempotent: a final file of that length is done. A longer final file was
 * published by a later checkpoint (an older checkpoint or savepoint is being restored): it stays, as the parts later
 * checkpoints published do ('published-longer'). No final file, and `evidence` vouches for its publish at this length
 * or longer (an earlier restore's, or a later checkpoint's): a consumer took it ('taken').
 */
export async function readyOpenPart(dir: string, part: OpenPartFile, evidence?: PublishedEvidence, check?: PartCheck): Promise<ReadiedOpenPart> {
  const final = join(dir, part.final);
  const finalSize = await sizeOf(final);
  if (finalSize === part.bytes) return { result: 'already-published' };
  if (finalSize !== undefined && finalSize > part.bytes) return { result: 'published-longer' };
  // Before its hidden files are looked for: once published, none is left (one put back would publish it twice).
  if (finalSize === undefined && evidence?.vouches(part.final, part.bytes, true) === true) return { result: 'taken' };
  if (finalSize !== undefined) throw new FileCommitError(`cannot commit ${final}: it has ${finalSize} bytes, fewer than the ${part.bytes} written before the checkpoint`, LASTING);
  let from = join(dir, part.inProgress);
  let size = await sizeOf(from);
  if (size === undefined) {
    from = join(dir, pendingName(part.final));
    size = await sizeOf(from);
  }
  if (size === undefined) {
    throw new FileCommitError(`cannot commit ${final}: neither it nor its in-progress file ${join(dir, part.inProgress)} nor its pending file exists, and the sink's record of published parts does not list it: taken by a consumer in the moment between its publish and the record's (a crash there), or deleted outside the sink before it was published. A restore cannot write it again: if a consumer has it, put it back where it was (the consumer will see it again), else run the job afresh (a new or emptied state directory, without resuming)`, LASTING);
  }
  if (size < part.bytes) throw new FileCommitError(`cannot commit ${from}: it has ${size} bytes, fewer than the ${part.bytes} written before the checkpoint`, LASTING);
  // Before it is copied or cut: a damaged file stays as the crash left it.
  if (check !== undefined) await checkPartBytes(from, part.bytes, part.crc, check.checkpointId);
  // Still in progress: the failed attempt's writer had it open. A write of its that was still under way (a stalled
  // disk) would land in the file after the cut, so the published file is a copy (a reflink where the file system
  // has them), cut, and the old file goes. A pending part was closed by its writer: cut in place.
  const inProgress = from !== join(dir, pendingName(part.final));
  const target = inProgress ? join(dir, pendingName(part.final)) : from;
  if (inProgress) await copyFile(from, target, constants.COPYFILE_FICLONE);
  const h = await open(target, 'r+');
  try {
    // What the crashed attempt wrote after the checkpoint: the resumed job writes it again.
    if (size > part.bytes) await h.truncate(part.bytes);
    await h.sync();
  } finally { await h.close(); }
  // Gone before the publish, not after: an in-progress file left beside a published part (a crash between the two)
  // would be published again by a resume once a consumer had taken the part. A crash here leaves the pending file, cut.
  if (inProgress) await removeFile(from);
  return { result: 'published', pending: target, final };
}

/** Makes renames in `dir` durable: a rename lives in the directory, so the directory is synced. */
export async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  try { await h.sync(); } finally { await h.close(); }
}

export function syncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}

/** Hidden in-progress and pending parts in `dir` (any token) of one subtask, or of every subtask. */
export async function leftoverParts(dir: string, names: PartNames, subtask?: number): Promise<string[]> {
  const head = `.${names.prefix}-`;
  let entries: string[];
  try { entries = await readdir(dir); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return entries.filter((f) => {
    if (!f.startsWith(head)) return false;
    const state = f.endsWith(IN_PROGRESS) ? IN_PROGRESS : f.endsWith(PENDING) ? PENDING : undefined;
    if (state === undefined) return false;
    // <subtask>-<token>-<n><suffix>: a longer prefix that merely starts with ours ('part-x' for 'part') is not ours.
    const rest = f.slice(head.length, f.length - state.length);
    if (!rest.endsWith(names.suffix)) return false;
    const m = /^(\d+)-[0-9a-f]+-\d+$/.exec(rest.slice(0, rest.length - names.suffix.length));
    return m !== null && (subtask === undefined || Number(m[1]) === subtask);
  }).sort();
}

export async function removeFile(path: string): Promise<void> {
  try { await unlink(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** `removeFile` on a thread that must not await (a writer stopping). */
export function removeFileSync(path: string): void {
  try { unlinkSync(path); } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

async function sizeOf(path: string): Promise<number | undefined> {
  try { return (await stat(path)).size; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function sizeOfSync(path: string): number | undefined {
  try { return statSync(path).size; } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
