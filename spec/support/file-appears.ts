// Runs on: the thread that waits (a test, or a test job's main-thread hook). Marker files are how tests and the
// jobs they drive tell each other that a step happened, never a sleep.

import { existsSync, watch } from 'node:fs';
import path from 'node:path';

/**
 * Resolves once `file` exists (a watch on its directory, and a check after arming it: no event is missed). With
 * `unless` (the job's end, say), settles as that does if it settles first, and closes the watch: a watch left open by
 * a race that lost (Promise.race([fileAppears(f), ended])) kept the test process running for good.
 */
export function fileAppears(file: string, unless?: Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    const w = watch(path.dirname(file), () => { if (existsSync(file)) { w.close(); resolve(); } });
    if (existsSync(file)) { w.close(); resolve(); }
    unless?.then(() => { w.close(); resolve(); }, (e: unknown) => { w.close(); reject(e); });
  });
}
