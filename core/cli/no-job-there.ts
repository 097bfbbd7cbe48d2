// Runs on: main thread of the `sluice status`, `cancel` and `savepoint` processes. What to say, and exit with,
// when no job answers on a state directory's control socket: a state directory with no job is "no job running
// there" (exit 1: the work failed); a path that is no state directory (not there, a file, a directory without a
// database) is bad usage (exit 2), as `sluice inspect` and `savepoint --delete` already said. A typo in the
// path would otherwise read as a job that stopped.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { NoJobRunningError } from '../runtime/control-server.js';
import { refuseWithoutCurrent, StateDirError } from '../checkpoint/store.js';

export const EXIT_NO_JOB = 1;
export const EXIT_NO_STATE_DIR = 2;

/** The error to report for `e` (nothing answered on `stateDir`), and the exit code. */
export function noJobThere(stateDir: string, e: NoJobRunningError): { error: Error; code: number } {
  const dir = path.resolve(stateDir);
  if (!existsSync(dir)) return { error: new StateDirError(`no state directory ${dir} (so no job runs there)`), code: EXIT_NO_STATE_DIR };
  if (!statSync(dir).isDirectory()) return { error: new StateDirError(`${dir} is a file, not a state directory`), code: EXIT_NO_STATE_DIR };
  if (!existsSync(path.join(dir, 'CURRENT'))) {
    // LevelDB's files without their CURRENT: a damaged state directory, not a foreign one; no job there either.
    try { refuseWithoutCurrent(dir); } catch { return { error: e, code: EXIT_NO_JOB }; }
    return { error: new StateDirError(`${dir} is not a sluice state directory (it holds no LevelDB database), so no job runs there`), code: EXIT_NO_STATE_DIR };
  }
  return { error: e, code: EXIT_NO_JOB };
}
