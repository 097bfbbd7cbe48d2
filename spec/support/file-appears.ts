// Runs on: the thread that waits (a test, or a test job's main-thread hook). Marker files are how tests and the
// jobs they drive tell each other that a step happened, never a sleep.

import { existsSync, watch } from 'node:fs';
import path from 'node:path';

/** Resolves once `file` exists (a watch on its directory, and a check after arming it: no event is missed). */
export function fileAppears(file: string): Promise<void> {
  return new Promise((resolve) => {
    const w = watch(path.dirname(file), () => { if (existsSync(file)) { w.close(); resolve(); } });
    if (existsSync(file)) { w.close(); resolve(); }
  });
}
