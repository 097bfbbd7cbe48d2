// Runs on: main thread. The checkpoints runs abandoned: a run that starts over (fresh, or from an older checkpoint
// or savepoint: a rollback) abandons those after its starting point, and a later `--resume` ('latest'), or a
// restart, must not take one of them. Without the mark, a rolled-back run that failed before its own first
// checkpoint was resumed from the abandoned run's newest, and the rollback was undone unsaid. Flink's recovery
// takes the savepoint a job started from until the job has a checkpoint of its own; so does this.
//
// A small file beside the LevelDB store, as the PUBLISHED mark, with a CRC-32: a damaged one is an error, never
// "nothing abandoned" (which would resume the abandoned checkpoints again).

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32 } from '../../shm/checksum.js';
import { writeFileDurably } from './durable-file.js';

const FILE = 'LINEAGE';

/** Checkpoint ids abandoned by runs that started over, as inclusive ranges: none is ever resumed from as 'latest'. */
export interface Lineage {
  readonly abandoned: readonly (readonly [number, number])[];
}

export class LineageMarkError extends Error {
  constructor(readonly stateDir: string, problem: string) {
    super(`state directory ${stateDir}: its ${FILE} file is damaged (${problem}). It records the checkpoints that runs which started over (or rolled back) abandoned, so that a resume does not take one. Restore the file from a backup, or delete it and resume from a checkpoint or savepoint explicitly`);
    this.name = 'LineageMarkError';
  }
}

function markCrc(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  return crc32(bytes, 0, bytes.length);
}

/** The abandoned checkpoints (none without a mark). Throws LineageMarkError for a damaged mark. */
export function readLineageMark(stateDir: string): Lineage {
  let text: string;
  try {
    text = readFileSync(path.join(stateDir, FILE), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { abandoned: [] };
    throw new LineageMarkError(stateDir, `cannot be read: ${(e as Error).message}`);
  }
  let v: { abandoned?: unknown; crc?: unknown };
  try {
    v = JSON.parse(text) as typeof v;
  } catch {
    throw new LineageMarkError(stateDir, 'not JSON');
  }
  if (v === null || typeof v !== 'object') throw new LineageMarkError(stateDir, 'not an object');
  const id = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x > 0;
  const ranges = v.abandoned;
  if (!Array.isArray(ranges) || !ranges.every((r) => Array.isArray(r) && r.length === 2 && id(r[0]) && id(r[1]) && r[0] <= r[1])) {
    throw new LineageMarkError(stateDir, `no id ranges in it: ${text.slice(0, 80)}`);
  }
  if (v.crc !== markCrc(JSON.stringify(ranges))) throw new LineageMarkError(stateDir, 'its checksum does not match');
  return { abandoned: ranges as [number, number][] };
}

/** Durably records that a run starting from checkpoint `base` (0: from nothing) abandons every id up to `maxId`. */
export function abandonAfter(stateDir: string, base: number, maxId: number): void {
  if (maxId <= base) return;
  const abandoned = [...readLineageMark(stateDir).abandoned, [base + 1, maxId]];
  writeFileDurably(path.join(stateDir, FILE), stateDir, JSON.stringify({ abandoned, crc: markCrc(JSON.stringify(abandoned)) }));
}

function rangeOf(l: Lineage, id: number): readonly [number, number] | undefined {
  return l.abandoned.find(([lo, hi]) => id >= lo && id <= hi);
}

/** The checkpoints of `ids` a resume may take (in their order): those no run abandoned. */
export function resumableIds(ids: readonly number[], l: Lineage): number[] {
  return ids.filter((id) => rangeOf(l, id) === undefined);
}

/**
 * The published output a resume must not go behind: `published`, unless an abandoned checkpoint published it.
 * The run that abandoned it publishes that output again (it said so), from the checkpoint it started at, which
 * then counts as published (so nothing older is taken in its place).
 */
export function publishedGuard(published: number, l: Lineage): number {
  let guard = published;
  // That start may be abandoned too, by a later run that started over from further back.
  for (let r = rangeOf(l, guard); r !== undefined; r = rangeOf(l, guard)) guard = r[0] - 1;
  return guard;
}
