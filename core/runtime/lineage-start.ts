// Runs on: main thread. Where a checkpointed run starts in its state directory: the lineage it records
// (lineage-mark.ts), and a warning when it starts over where an earlier run published output.

import type { CheckpointStore } from '../checkpoint/store.js';
import { recordStart, type Lineage } from '../checkpoint/lineage-mark.js';
import { readPublishedMark } from '../checkpoint/published-mark.js';

/**
 * Records where this run starts in the state directory's lineage (lineage-mark.ts); a damaged mark is replaced.
 * Returns the lineage, which no one changes while the run lasts.
 */
export async function startLineage(store: CheckpointStore, base: number, first: number, warn: (m: string) => void): Promise<Lineage> {
  return recordStart(store.dir, await store.manifestIds(), base, first, (e) => warn(`${e.message}. Replaced: this run starts a lineage of its own${base > 0 ? ` from checkpoint ${base}` : ''}`));
}

/**
 * A run that does not resume, in a state directory where an earlier run published sink output: it starts over,
 * and its sinks publish those records again. `--resume` refuses to do that silently; a plain run at least says so.
 */
export function warnStartingOver(stateDir: string, warn: (m: string) => void): void {
  let published = 0;
  try {
    published = readPublishedMark(stateDir);
  } catch {
    // A damaged mark: --resume reports it; a fresh start does not read it.
  }
  if (published > 0) warn(`${stateDir} holds sink output an earlier run published (up to its checkpoint ${published}), and this run starts over without resuming: its sinks publish those records again. Resume (--resume, or resume: 'latest') to go on from that run, or use a new state directory`);
}
