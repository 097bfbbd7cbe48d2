// Runs on: main thread. The newest checkpoint whose sink output was published, kept in a small file beside the
// LevelDB store (not inside it): a damaged LevelDB log can silently lose its newest records, manifest and all,
// and a restore from the checkpoint before it would then publish that output a second time. The mark survives
// such damage, so a restore can see that it would go back behind published output, and refuse. It also keeps
// checkpoint ids from ever being reused (sinks deduplicate by them).
//
// The mark is the one guard against that loss, so a mark that is there but damaged is an error, never "nothing
// published" (else a flipped byte turns the guard off, and a resume publishes records twice). It
// carries a CRC-32 of its fields; marks written before it had one are read as they are.

import path from 'node:path';
import { crc32 } from '../../shm/checksum.js';
import { readJsonFile, writeFileDurably } from './durable-file.js';

const FILE = 'PUBLISHED';

export class PublishedMarkError extends Error {
  constructor(readonly stateDir: string, problem: string) {
    super(`state directory ${stateDir}: its ${FILE} file is damaged (${problem}). It records which checkpoint's sink output was already published; without it a resume could publish records a second time. Restore the file from a backup, or delete it and resume only if duplicate output is acceptable`);
    this.name = 'PublishedMarkError';
  }
}

function markCrc(id: number, at: string): number {
  const bytes = Buffer.from(`${id} ${at}`, 'utf8');
  return crc32(bytes, 0, bytes.length);
}

/** The newest checkpoint id whose output was published, or 0 (no mark). Throws PublishedMarkError for a damaged one. */
export function readPublishedMark(stateDir: string): number {
  const v = readJsonFile(path.join(stateDir, FILE), (problem) => { throw new PublishedMarkError(stateDir, problem); });
  if (v === undefined) return 0;
  const id = v.checkpointId;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw new PublishedMarkError(stateDir, `no checkpoint id in it: ${JSON.stringify(v).slice(0, 80)}`);
  if (v.crc !== undefined && (typeof v.at !== 'string' || v.crc !== markCrc(id, v.at))) throw new PublishedMarkError(stateDir, 'its checksum does not match');
  // Without one only in the older format's exact shape (else a flipped bit in "crc" makes a mark pass
  // unchecked, its id then trusted).
  if (v.crc === undefined && Object.keys(v).some((k) => k !== 'checkpointId' && k !== 'at')) throw new PublishedMarkError(stateDir, 'it has no checksum, and is not a mark of the older format either');
  return id;
}

/** Durably records that checkpoint `id`'s output is published (write, fsync, rename, fsync the directory). */
export function writePublishedMark(stateDir: string, id: number): void {
  if (readPublishedMark(stateDir) >= id) return;
  const at = new Date().toISOString();
  writeFileDurably(path.join(stateDir, FILE), stateDir, JSON.stringify({ checkpointId: id, at, crc: markCrc(id, at) }));
}
