// Runs on: main thread. The manifest of a completed checkpoint: what it holds, and the hashes that let a
// restore prove every byte is what was written. Committed last, in one synchronous write, so a checkpoint
// without a manifest never existed.
//
// Format 1. A manifest names, per operator uid: its keyed state as one chunk chain per key group (a full chunk,
// then the deltas written after it: chunks are shared by the checkpoints of the chain), its non-keyed state as one
// chunk per old subtask; per source: the positions of all its splits; per subtask of an unaligned checkpoint:
// its in-flight records. Every chunk ref carries its length and a checksum of its bytes; the manifest carries a
// SHA-256 over its own canonical content.
//
// Format 2 (this version writes it): chunk refs carry a CRC-32: a keyed chunk's seal (the CRC-32 of its body,
// which its codec wrote into its last 4 bytes: `sealed`), else the CRC-32 of the whole chunk. Format 1 (read
// too) carried SHA-256: hashing every chunk again on the main thread took ~1-2% of the machine at a checkpoint a
// second, while the seal comes with the chunk, and CRC-32 catches the corruption a store meets (every burst of up
// to 32 bits). Refs of chunks shared with older checkpoints keep the checksum they were written with. The
// manifest's own hash, over the refs, stays SHA-256.
//
// Format 3: format 2, and in-flight records of inputs may be watermark or idleness frames (InFlightRecord.control,
// by channel). Written only by a checkpoint that has such frames, so that only those are refused by an older sluice
// (whose replay would push the frames on as records); every other checkpoint is still format 2. `channelTimes`
// comes with any channel state, in either format: an older sluice ignores it.

import type { ChannelShape } from './channel-shape.js';
import type { ChannelTimes } from '../time/watermark-valve.js';
import { createHash } from 'node:crypto';
import type { Redistribution } from './snapshot.js';
import type { SourceSplit } from '../connectors/source.js';

export const MANIFEST_FORMAT = 2;
/** The format of a manifest whose inputs' in-flight records hold watermark or idleness frames. */
export const CHANNEL_TIMES_FORMAT = 3;
/** Formats a restore reads. */
const READ_FORMATS: readonly number[] = [1, 2, 3];

/** Where each input channel of a subtask stood at an unaligned snapshot, and which channels those were (gateChannels). */
export interface ChannelTimesRecord extends ChannelTimes {
  readonly channels: readonly string[];
}

export interface ChunkRef {
  /** The store key of the chunk's bytes. */
  readonly key: string;
  readonly bytes: number;
  /** Format 2: CRC-32 of the chunk's bytes; with `sealed`, of all but its last 4, which hold it (little-endian). */
  readonly crc32?: number;
  readonly sealed?: boolean;
  /** SHA-256 of the chunk's bytes, hex (format 1). */
  readonly sha256?: string;
}

/** A keyed state chunk: full or delta, and the group's live entries once it is applied. */
export interface KeyedChunkRef extends ChunkRef {
  readonly full: boolean;
  readonly entries: number;
}

export interface KeyGroupChain {
  /** A full chunk, then deltas, in apply order. */
  readonly chain: KeyedChunkRef[];
  /** Live entries of the group at this checkpoint. */
  readonly entries: number;
}

/**
 * Operator kinds that read one another's state: a keyed process function keeps its user state by name whether it
 * has one input, a second (co-process), or a broadcast input beside it, so adding a control stream to it is a
 * legitimate change. Every other kind takes only its own kind's state.
 */
const KEYED_FUNCTIONS = new Set(['process', 'coProcess', 'broadcastProcess']);

/** Can an operator of kind `now` take the state an operator of kind `was` wrote under the same uid? */
export function takesStateOf(now: string, was: string): boolean {
  return now === was || (KEYED_FUNCTIONS.has(now) && KEYED_FUNCTIONS.has(was));
}

export interface OperatorManifest {
  readonly name: string;
  /** The kind of operator that wrote the state ('process', 'window', ...); absent in older manifests. */
  readonly kind?: string;
  readonly parallelism: number;
  readonly keyGroups?: Record<string, KeyGroupChain>;
  readonly operatorState?: { readonly redistribute: Redistribution; readonly parts: (ChunkRef | null)[] };
}

export type CheckpointKind = 'checkpoint' | 'savepoint' | 'final';

export interface Manifest {
  readonly format: number;
  readonly id: number;
  readonly kind: CheckpointKind;
  /** Savepoints: the name they were taken under. */
  readonly name?: string;
  readonly createdAt: string;
  readonly maxParallelism: number;
  /** Hash of the job graph's fingerprint (informational: a savepoint may be restored into a changed job). */
  readonly jobFingerprint: string;
  /** Each operator's shape by uid (operator-shapes.ts), compared on a resume; absent in older manifests. */
  readonly operatorShapes?: Record<string, string>;
  readonly operators: Record<string, OperatorManifest>;
  /**
   * Read positions by source uid, with the source's kind ('file', 'generator', ...; absent in older manifests) and
   * how many of `splits` each subtask held, in subtask order (absent before): at the same parallelism each subtask
   * reads its own on (restore.ts dealSplits), so records it had read and not sent stay with the splits they came from.
   */
  readonly sources: Record<string, { readonly kind?: string; readonly splits: SourceSplit[]; readonly perSubtask?: number[] }>;
  /** Unaligned checkpoints: in-flight records per `headUid/subtask` (the uid of the task's first operator). */
  readonly inFlight?: Record<string, ChunkRef>;
  /** With inFlight: where each such task's gates and inputs led (channel-shape.ts), by head uid; absent before. */
  readonly channels?: Record<string, ChannelShape>;
  /**
   * The event time of each task's inputs at the barrier, by the uid of its first operator, one per subtask (null:
   * the subtask had ended); absent before. A restore starts the task at the lowest: later watermarks below it do
   * not move it, so a record late before a failure stays late after it (else it opens a window
   * whose state is gone, and leaves the late side output), as Flink's window operators restore their timer
   * service's watermark.
   */
  readonly watermarks?: Record<string, readonly (number | null)[]>;
  /**
   * With inFlight (format 2 or 3): per `headUid/subtask` with an input gate, where each of its channels' event time stood
   * at the snapshot (before the watermarks among its in-flight records). Restored where the subtask's channels are
   * the same (no rescale of it or its producers, no exchange added or moved): the replay then moves its event time
   * through the in-flight records as it moved the first time.
   */
  readonly channelTimes?: Record<string, ChannelTimesRecord>;
  /** Parallelism of each task at the time, by the uid of its first operator. */
  readonly taskParallelism: Record<string, number>;
  /** Live keyed entries over every operator and key group. */
  readonly keyedEntries: number;
  /** Every subtask had ended: the job finished. */
  readonly finished: boolean;
  readonly sha256: string;
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** JSON with sorted object keys, so the hash does not depend on insertion order. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

export function sealManifest(m: Omit<Manifest, 'sha256'>): Manifest {
  return { ...m, sha256: sha256(canonical(m)) };
}

export class CorruptCheckpointError extends Error {
  constructor(readonly checkpointId: number, message: string) {
    super(`checkpoint ${checkpointId} is corrupt or incomplete: ${message}`);
    this.name = 'CorruptCheckpointError';
  }
}

/** Parses and verifies a stored manifest (format, self-hash, counts). */
export function parseManifest(id: number, bytes: Uint8Array): Manifest {
  let m: Manifest;
  try {
    m = JSON.parse(Buffer.from(bytes).toString('utf8')) as Manifest;
  } catch (e) {
    throw new CorruptCheckpointError(id, `its manifest is not valid JSON (${(e as Error).message})`);
  }
  if (m === null || typeof m !== 'object') throw new CorruptCheckpointError(id, 'its manifest is not an object');
  if (!READ_FORMATS.includes(m.format)) throw new CorruptCheckpointError(id, `manifest format ${String(m.format)} is not one of ${READ_FORMATS.join(', ')} (written by another version of sluice?)`);
  const { sha256: stored, ...rest } = m;
  if (sha256(canonical(rest)) !== stored) throw new CorruptCheckpointError(id, 'its manifest does not match its own hash');
  if (m.id !== id) throw new CorruptCheckpointError(id, `its manifest says it is checkpoint ${m.id}`);
  let entries = 0;
  for (const op of Object.values(m.operators)) for (const g of Object.values(op.keyGroups ?? {})) entries += g.entries;
  if (entries !== m.keyedEntries) throw new CorruptCheckpointError(id, `key group entry counts add up to ${entries}, the manifest says ${m.keyedEntries}`);
  return m;
}

export function encodeManifest(m: Manifest): Uint8Array {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/** Every chunk a manifest refers to. */
export function chunkRefs(m: Manifest): ChunkRef[] {
  const out: ChunkRef[] = [];
  for (const op of Object.values(m.operators)) {
    for (const g of Object.values(op.keyGroups ?? {})) out.push(...g.chain);
    for (const p of op.operatorState?.parts ?? []) if (p) out.push(p);
  }
  for (const r of Object.values(m.inFlight ?? {})) out.push(r);
  return out;
}
