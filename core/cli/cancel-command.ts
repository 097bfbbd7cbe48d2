// Runs on: main thread of the `sluice cancel` process. Cancels the job running with a state directory (another
// process: `sluice run --state-dir`, which then exits 130 as on Ctrl-C, or an embedded job that called
// serveControl) through its control socket, as JobHandle.cancel does: no savepoint (`sluice savepoint --stop` is
// the stop with one). Answers once the job has ended, so its state directory is free when this exits.
//
// Exit codes: 0 the job was cancelled; 1 no job runs in that state directory, or it failed while cancelling, or gave
// no answer in time; 2 the path is no state directory (no-job-there.ts).

import { NoJobRunningError, requestControl } from '../runtime/control-server.js';
import { noJobThere } from './no-job-there.js';
import { duration } from './status.js';

export interface CancelCommandOptions {
  json?: boolean;
  /** Give up waiting for the job to end after this long, ms (0: wait as long as it takes). */
  timeout: number;
}

export async function cancelCommand(stateDir: string, opts: CancelCommandOptions): Promise<number> {
  try {
    const r = await requestControl(stateDir, { op: 'cancel' }, opts.timeout);
    if (!('cancelled' in r)) throw new Error('the job answered without saying it was cancelled');
    const c = r.cancelled;
    if (opts.json) {
      process.stdout.write(`${JSON.stringify({ stateDir, cancelled: c })}\n`);
    } else {
      const latest = c.checkpoints.latest;
      if (!c.cancelled) {
        process.stdout.write(`the job had already ended by itself (pid ${c.pid}) after ${duration(c.durationMs)}: nothing to cancel\n`);
        return 0;
      }
      process.stdout.write(`job cancelled (pid ${c.pid}) after ${duration(c.durationMs)}; ${c.checkpoints.completed} checkpoint${c.checkpoints.completed === 1 ? '' : 's'} completed in this run${latest ? `, the last ${latest.id}` : ''}\n`);
      process.stderr.write(`resume with: sluice run <job> --state-dir ${stateDir} --resume\n`);
    }
    return 0;
  } catch (thrown) {
    const { error: e, code } = thrown instanceof NoJobRunningError ? noJobThere(stateDir, thrown) : { error: thrown, code: 1 };
    const err = e as Error;
    process.stderr.write(`sluice cancel: ${err.name === 'Error' ? '' : `${err.name}: `}${err.message}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify({ stateDir, error: { name: err.name, message: err.message } })}\n`);
    return code;
  }
}
