// Runs on: main thread of the `sluice savepoint` process. Asks the job running with a state directory (another
// process: `sluice run --state-dir`, or an embedded job that called serveControl) for a savepoint through its
// control socket, and prints what was written. With --delete, deletes one: through the job running there, or in
// the directory itself when none is.
//
// Exit codes: 0 the savepoint completed (or was deleted); 1 no job runs in that state directory, or it could not
// take the savepoint; 2 bad usage: the path is no state directory (no-job-there.ts), or (--delete) no such savepoint.

import { NoJobRunningError, requestControl } from '../runtime/control-server.js';
import { deleteSavepoint, type DeletedSavepoint } from '../checkpoint/delete-savepoint.js';
import { StateDirError } from '../checkpoint/store.js';
import { bytes } from './status.js';
import { noJobThere } from './no-job-there.js';

export interface SavepointCommandOptions {
  json?: boolean;
  /** Give up waiting for the job's answer after this long, ms (0: wait as long as the job takes). */
  timeout: number;
  /** Then stop the job, before anything after the savepoint is published. */
  stop?: boolean;
  /** Delete the savepoint of this name instead. */
  delete?: boolean;
}

/** A default savepoint name from the time: `savepoint-2026-12-02T12-58-01-123Z`. */
export function defaultSavepointName(now = new Date()): string {
  return `savepoint-${now.toISOString().replace(/[:.]/g, '-')}`;
}

export async function savepointCommand(stateDir: string, name: string | undefined, opts: SavepointCommandOptions): Promise<number> {
  if (opts.delete) return deleteCommand(stateDir, name, opts);
  const spName = name ?? defaultSavepointName();
  try {
    const r = await requestControl(stateDir, { op: 'savepoint', name: spName, ...(opts.stop ? { stop: true } : {}) }, opts.timeout);
    if (!('checkpoint' in r)) throw new Error('the job answered without a savepoint');
    const c = r.checkpoint;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ stateDir, savepoint: { id: c.id, name: c.name ?? spName, bytes: c.bytesWritten, chunks: c.chunksWritten, keyedEntries: c.keyedEntries, durationMs: c.durationMs }, stopped: opts.stop === true })}\n`);
    } else {
      process.stdout.write(`savepoint '${c.name ?? spName}' completed: id ${c.id}, ${bytes(c.bytesWritten)} in ${c.chunksWritten} chunks written, ${c.keyedEntries} keyed entries, ${Math.round(c.durationMs)} ms${opts.stop ? '; the job is stopping' : ''}\n`);
      process.stderr.write(`resume from it with: sluice run <job> --state-dir ${stateDir} --from-savepoint ${c.name ?? spName}\n`);
    }
    return 0;
  } catch (e) {
    if (e instanceof NoJobRunningError) { const { error, code } = noJobThere(stateDir, e); return failed(stateDir, error, opts, code); }
    return failed(stateDir, e, opts, 1);
  }
}

async function deleteCommand(stateDir: string, name: string | undefined, opts: SavepointCommandOptions): Promise<number> {
  if (name === undefined) {
    process.stderr.write('sluice savepoint: --delete needs the name of the savepoint to delete\n');
    return 2;
  }
  let running = true;
  try {
    let d: DeletedSavepoint;
    try {
      const r = await requestControl(stateDir, { op: 'delete-savepoint', name }, opts.timeout);
      if (!('deleted' in r)) throw new Error('the job answered without deleting the savepoint');
      d = r.deleted;
    } catch (e) {
      if (!(e instanceof NoJobRunningError)) throw e;
      running = false;
      try {
        d = await deleteSavepoint(stateDir, name);
      } catch (e2) {
        // No control socket answers, yet the directory is held: an embedded job that serves none.
        if (e2 instanceof StateDirError && /in use/.test(e2.message)) throw new StateDirError(`${stateDir} is held by a running job that serves no control socket (an embedded job without serveControl?): delete the savepoint through its handle (deleteSavepoint), or stop the job first`);
        throw e2;
      }
    }
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ stateDir, deleted: { ...d, id: d.id ?? null }, jobRunning: running })}\n`);
    } else {
      const cp = d.id === undefined ? 'no checkpoint was that savepoint (its name record was damaged)'
        : d.checkpointDeleted ? `checkpoint ${d.id} too, ${d.unreadable.length > 0 ? `its chunks kept (checkpoint ${d.unreadable.join(', ')} could not be read, and might need them)` : `and ${d.chunksDeleted} chunks only it held`}`
          : running ? `checkpoint ${d.id} goes with the running job's retention, like any other` : `checkpoint ${d.id} stays as the checkpoint --resume takes`;
      process.stdout.write(`savepoint '${name}' deleted: ${cp}\n`);
    }
    return 0;
  } catch (e) {
    // By name: the job's answer comes back as a plain Error of that name.
    const name = (e as Error).name;
    return failed(stateDir, e, opts, name === 'NoCheckpointError' || (name === 'StateDirError' && /not a sluice state directory|^no state directory/.test((e as Error).message)) ? 2 : 1);
  }
}

function failed(stateDir: string, e: unknown, opts: SavepointCommandOptions, code: number): number {
  const err = e as Error;
  process.stderr.write(`sluice savepoint: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}\n`);
  if (opts.json) process.stdout.write(`${JSON.stringify({ stateDir, error: { name: err.name, message: err.message } })}\n`);
  return code;
}
