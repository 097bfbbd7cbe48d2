// Runs on: main thread. Which checkpoints a resume may take: those of the current lineage. A run that starts over
// (fresh, or from an older checkpoint or savepoint: a rollback) branches off where it starts, abandoning every
// checkpoint after that point; a later `--resume` ('latest'), or a restart, must not take one of them. Without
// this, a rolled-back run that failed before its own first checkpoint was resumed from the abandoned run's newest,
// and the rollback was undone unsaid. Flink recovers a job from the savepoint it started from until the job has a
// checkpoint of its own; so does this.
//
// The mark lists every branch point ("start") in order: the checkpoint it started from (`base`, 0: nothing) and
// its first checkpoint id (`first`). Ids only grow, so a start owns the ids from its `first` up to the next
// start's; within one start, runs that resume its newest checkpoint go on in a line. The current lineage is then:
// the last start's own ids, its base, and the base's ancestors (the ids of the base's start up to the base, then
// that start's base, ...). A small file beside the LevelDB store, as the PUBLISHED mark, with a CRC-32: a damaged
// one is an error for a resume, never "nothing abandoned" (which would resume the abandoned checkpoints again).

import path from 'node:path';
import { crc32 } from '../../shm/checksum.js';
import { readJsonFile, writeFileDurably } from './durable-file.js';

const FILE = 'LINEAGE';

/** A run that branched off: from checkpoint `base` (0: from nothing), its own checkpoints numbered from `first`. */
export interface LineageStart {
  readonly base: number;
  readonly first: number;
  /** The base's ancestors are unknown (the mark was damaged and replaced): the lineage ends at the base. */
  readonly root?: true;
}

/** The branch points, oldest first; none: every checkpoint is of one lineage. */
export interface Lineage {
  readonly starts: readonly LineageStart[];
}

export class LineageMarkError extends Error {
  constructor(readonly stateDir: string, problem: string) {
    super(`state directory ${stateDir}: its ${FILE} file is damaged (${problem}). It records where runs started over (or rolled back), so that a resume does not take a checkpoint such a run abandoned. Resume from a checkpoint or savepoint explicitly (or start over): that run replaces the file`);
    this.name = 'LineageMarkError';
  }
}

function markCrc(text: string): number {
  const bytes = Buffer.from(text, 'utf8');
  return crc32(bytes, 0, bytes.length);
}

/** The state directory's lineage (no starts without a mark). Throws LineageMarkError for a damaged mark. */
export function readLineageMark(stateDir: string): Lineage {
  const v = readJsonFile(path.join(stateDir, FILE), (problem) => { throw new LineageMarkError(stateDir, problem); });
  if (v === undefined) return { starts: [] };
  const id = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  const starts = v.starts;
  const valid = Array.isArray(starts) && starts.every((s: Partial<LineageStart> | null, i) => s !== null && typeof s === 'object'
    && id(s.base) && id(s.first) && s.base < s.first && (s.root === undefined || s.root === true)
    && (i === 0 || s.first >= (starts[i - 1] as LineageStart).first));
  if (!valid) throw new LineageMarkError(stateDir, `no run starts in it: ${JSON.stringify(v).slice(0, 80)}`);
  if (v.crc !== markCrc(JSON.stringify(starts))) throw new LineageMarkError(stateDir, 'its checksum does not match');
  return { starts: starts as LineageStart[] };
}

function writeLineageMark(stateDir: string, starts: readonly LineageStart[]): void {
  writeFileDurably(path.join(stateDir, FILE), stateDir, JSON.stringify({ starts, crc: markCrc(JSON.stringify(starts)) }));
}

/** Whether checkpoint `id` is of the current lineage. */
export function inLineage(l: Lineage, id: number): boolean {
  let i = l.starts.length - 1;
  if (i < 0) return true;
  if (id >= l.starts[i]!.first) return true;
  // Walk back through the bases: each lies in the ids of the last earlier start whose first is at or below it.
  for (;;) {
    const { base, root } = l.starts[i]!;
    if (base === 0 || id > base) return false;
    if (id === base) return true;
    if (root) return false;
    let j = i - 1;
    while (j >= 0 && l.starts[j]!.first > base) j--;
    // Before the first start: the first run's ids, unless that start replaced a damaged mark (unknown history).
    if (j < 0) return !l.starts[0]!.root && id >= 1;
    if (id >= l.starts[j]!.first) return true;
    i = j;
  }
}

/** The checkpoints of `ids` a resume may take (in their order): those of the current lineage. */
export function resumableIds(ids: readonly number[], l: Lineage): number[] {
  return ids.filter((id) => inLineage(l, id));
}

/** The highest checkpoint id the mark has handed out: a run's first id is above it (ids are never reused). */
export function lineageMaxId(l: Lineage): number {
  return l.starts.length === 0 ? 0 : l.starts.at(-1)!.first - 1;
}

/**
 * Records that a run starts from checkpoint `base` (0: nothing), its checkpoints numbered from `first`, when that
 * branches off the current lineage: unless `base` is the newest checkpoint of `ids` the lineage holds (a resume of
 * the newest goes on in a line). A damaged mark is replaced, the lineage then ending at `base`, and said through
 * `replaced`. Returns the lineage the run goes on in.
 */
export function recordStart(stateDir: string, ids: readonly number[], base: number, first: number, replaced: (e: LineageMarkError) => void = () => {}): Lineage {
  let l: Lineage;
  try {
    l = readLineageMark(stateDir);
  } catch (e) {
    if (!(e instanceof LineageMarkError)) throw e;
    replaced(e);
    const starts: LineageStart[] = [{ base, first, ...(base > 0 ? { root: true as const } : {}) }];
    writeLineageMark(stateDir, starts);
    return { starts };
  }
  const newest = resumableIds(ids, l).reduce((a, b) => Math.max(a, b), 0);
  if (base === newest) return l;
  const starts = [...l.starts, { base, first }];
  writeLineageMark(stateDir, starts);
  return { starts };
}
