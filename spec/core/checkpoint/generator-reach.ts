// Runs on: main thread (tests). How far a checkpointed generator source had read, so that a spec can run its job
// unbounded (it cannot end before the spec stops it, however slow the machine) and bound only the last run, past
// what the checkpoints already cover.

import { CheckpointStore } from '../../../core/checkpoint/store.js';

/**
 * One past the furthest record index the generator source `uid` had read at checkpoint `id` (the latest, which a
 * resume picks, when omitted): a run of the job bounded to a count above it reads on from there to that count.
 */
export async function generatorReach(stateDir: string, id?: number, uid = 'gen'): Promise<number> {
  const store = await CheckpointStore.open(stateDir);
  try {
    const m = await store.readManifest(id ?? (await store.manifestIds())[0]!);
    const splits = m.sources[uid]?.splits;
    if (splits === undefined) throw new Error(`checkpoint ${m.id} has no source '${uid}'`);
    return Math.max(0, ...splits.map((s) => (s.position as { next: number }).next));
  } finally {
    await store.close();
  }
}
