// Runs on: the main thread. Deleting a savepoint: savepoints are kept until deleted (retention never takes one),
// and there was no way to (a resource review: a state directory given a savepoint a night grew without bound).
//
// The name goes; the checkpoint with it too, chunks it alone held included, unless it is the directory's newest
// checkpoint (what `--resume` would take: a stop with savepoint's, say), which then stays as a checkpoint like any
// other until retention replaces it. A job running on the directory holds it open: it drops the name itself
// (JobHandle.deleteSavepoint, the control socket's 'delete-savepoint'), and its retention removes the checkpoint.

import { existsSync } from 'node:fs';
import { CheckpointStore, StateDirError } from './store.js';
import { NoCheckpointError } from './restore.js';
import type { Manifest } from './manifest.js';

export interface DeletedSavepoint {
  readonly name: string;
  /** Its checkpoint (undefined: its name record was damaged). */
  readonly id: number | undefined;
  /** The checkpoint went too (false: it is the newest, kept as a checkpoint, or a running job's retention decides). */
  readonly checkpointDeleted: boolean;
  /** Chunks deleted with it. */
  readonly chunksDeleted: number;
}

/** Deletes savepoint `name` of a state directory no job is running on. */
export async function deleteSavepoint(stateDir: string, name: string): Promise<DeletedSavepoint> {
  if (!existsSync(stateDir)) throw new StateDirError(`no state directory ${stateDir}`);
  const store = await CheckpointStore.open(stateDir);
  try {
    const record = (await store.savepoints()).find((s) => s.name === name);
    if (record === undefined) throw new NoCheckpointError(`no savepoint named '${name}' in ${stateDir}`);
    const ids = await store.manifestIds();
    const id = record.id;
    if (id === undefined || id === ids[0] || !ids.includes(id) || (await store.savepoints()).some((s) => s.name !== name && s.id === id)) {
      await store.deleteSavepointName(name);
      return { name, id, checkpointDeleted: false, chunksDeleted: 0 };
    }
    // Chunks go only when every other manifest can be read: one that cannot might refer to them.
    const keep: Manifest[] = [];
    let readable = true;
    for (const other of ids) {
      if (other === id) continue;
      try { keep.push(await store.readManifest(other)); } catch { readable = false; }
    }
    await store.deleteManifests([id]);
    const chunksDeleted = readable ? await store.collectGarbage(keep, (await store.maxId()) + 1) : 0;
    return { name, id, checkpointDeleted: true, chunksDeleted };
  } finally {
    await store.close();
  }
}
