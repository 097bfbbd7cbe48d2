// Runs on: main thread. The newest checkpoint whose sink output was published, kept in a small file beside the
// LevelDB store (not inside it): a damaged LevelDB log can silently lose its newest records, manifest and all,
// and a restore from the checkpoint before it would then publish that output a second time. The mark survives
// such damage, so a restore can see that it would go back behind published output, and refuse. It also keeps
// checkpoint ids from ever being reused (sinks deduplicate by them).

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILE = 'PUBLISHED';

/** The newest checkpoint id whose output was published, or 0. */
export function readPublishedMark(stateDir: string): number {
  try {
    const v = JSON.parse(readFileSync(path.join(stateDir, FILE), 'utf8')) as { checkpointId?: unknown };
    return typeof v.checkpointId === 'number' && Number.isSafeInteger(v.checkpointId) ? v.checkpointId : 0;
  } catch {
    return 0;
  }
}

/** Durably records that checkpoint `id`'s output is published (write, fsync, rename, fsync the directory). */
export function writePublishedMark(stateDir: string, id: number): void {
  if (readPublishedMark(stateDir) >= id) return;
  const file = path.join(stateDir, FILE);
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify({ checkpointId: id, at: new Date().toISOString() }));
  const fd = openSync(tmp, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
  renameSync(tmp, file);
  const dir = openSync(stateDir, 'r');
  try { fsyncSync(dir); } finally { closeSync(dir); }
}
