// Runs on: the main thread. Deleting a savepoint: savepoints are kept until deleted (retention never takes one),
// so without this a state directory given a savepoint a night grows without bound.
//
// The savepoint is the sealed manifest that says so (kind and name), as for a restore: its name record has no
// checksum, and one damaged would otherwise delete another checkpoint. The name goes; the checkpoint too,
// with the chunks only it held, unless it is the checkpoint `--resume` would take (the newest that reads back
// intact: a stop with savepoint's, say), which stays as a checkpoint like any other until retention replaces it.
// A job running on the directory holds it open: it drops the name itself (JobHandle.deleteSavepoint, the control
// socket's 'delete-savepoint'), and its retention removes the checkpoint; this then removes what is left.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CheckpointStore, StateDirError } from './store.js';
import { NoCheckpointError, newestIntact } from './restore.js';
import { readLineageMark, resumableIds, type Lineage } from './lineage-mark.js';
import type { Manifest } from './manifest.js';

export interface DeletedSavepoint {
  readonly name: string;
  /** Its checkpoint (undefined: no manifest is that savepoint; only a name record was there). */
  readonly id: number | undefined;
  /** The checkpoint went too (false: it is what a resume takes, or a running job's retention decides). */
  readonly checkpointDeleted: boolean;
  /** Chunks deleted with it. */
  readonly chunksDeleted: number;
  /** Checkpoints that could not be read: chunks they might refer to were kept (none deleted then). */
  readonly unreadable: readonly number[];
}

/** Deletes savepoint `name` of a state directory no job is running on. */
export async function deleteSavepoint(stateDir: string, name: string): Promise<DeletedSavepoint> {
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) throw new StateDirError(`no state directory ${stateDir}`);
  // Opening creates a database in any directory: refuse one that holds none (else a typo writes one into '.').
  if (!existsSync(path.join(stateDir, 'CURRENT'))) throw new StateDirError(`${stateDir} is not a sluice state directory (it holds no LevelDB database)`);
  const store = await CheckpointStore.open(stateDir);
  try {
    const records = await store.savepoints();
    const record = records.find((s) => s.name === name);
    const ids = await store.manifestIds();
    const manifests = new Map<number, Manifest>();
    const unreadable: number[] = [];
    for (const id of ids) {
      try { manifests.set(id, await store.readManifest(id)); } catch { unreadable.push(id); }
    }
    // No record: no savepoint of that name. A manifest that once had it (its name deleted, kept as what a resume
    // takes, or reused since) is a checkpoint like any other now (else a second deletion takes it).
    if (record === undefined) throw new NoCheckpointError(`no savepoint named '${name}' in ${stateDir}`);
    const isIt = (m: Manifest | undefined): boolean => m !== undefined && m.kind === 'savepoint' && m.name === name;
    let targets: number[];
    if (record.id !== undefined && isIt(manifests.get(record.id))) {
      // The usual case: the one its record names; an older manifest of a reused name stays, another checkpoint now.
      targets = [record.id];
    } else {
      // A damaged record: the manifests that say they are it and that no other name record points at; else, when
      // the one it names cannot be read, that one (or every later deletion would keep every chunk for it).
      const others = new Set(records.filter((r) => r.name !== name && r.id !== undefined).map((r) => r.id));
      targets = [...manifests.values()].filter((m) => isIt(m) && !others.has(m.id)).map((m) => m.id);
      if (targets.length === 0 && record.id !== undefined && unreadable.includes(record.id)) targets = [record.id];
    }
    // The checkpoint a resume takes: the newest no run abandoned that reads back intact, found as a resume finds it.
    let lineage: Lineage = { starts: [] };
    // Damaged: a resume of the latest refuses it; kept as one lineage here, so the newest intact one stays.
    try { lineage = readLineageMark(stateDir); } catch { /* see above */ }
    const resumed = (await newestIntact(store, resumableIds(ids, lineage), [], () => {}))?.manifest.id;
    const gone = targets.filter((id) => id !== resumed);
    if (record !== undefined) await store.deleteSavepointName(name);
    await store.deleteManifests(gone);
    // Chunks go only when every other manifest could be read: one that cannot might refer to them.
    const keep = [...manifests.values()].filter((m) => !gone.includes(m.id));
    const stillUnreadable = unreadable.filter((id) => !gone.includes(id));
    const chunksDeleted = gone.length > 0 && stillUnreadable.length === 0 ? await store.collectGarbage(keep, (await store.maxId()) + 1) : 0;
    return { name, id: targets[0], checkpointDeleted: gone.length > 0, chunksDeleted, unreadable: stillUnreadable };
  } finally {
    await store.close();
  }
}

