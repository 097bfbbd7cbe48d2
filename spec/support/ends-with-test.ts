// Runs on: main thread (a test). Ties what a test starts, a job or a child process, to the test's end: a test that
// fails between starting a job and awaiting its end left the job's threads (or the child) running, and the test
// process waited for them, minutes for a job that does not end by itself, burying the failure. A run() that has not
// returned a handle yet is tied by the AbortController of its options.signal.

import { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { TestContext } from 'node:test';

/** What the test's end waits for a cancel to return, or a killed child to exit (a cancel waits out stopGraceMs). */
const BOUND_MS = 20_000;

/** What ends-with-test needs of a JobHandle. */
interface Job {
  readonly result: Promise<unknown>;
  cancel(): Promise<unknown>;
}

/**
 * Returns `started`; when test `t` ends (passed, failed or timed out), cancels the job if it is still running, kills
 * the child (SIGKILL) if it has not exited, or aborts the controller. A test that failed keeps its own failure:
 * node:test ignores what its after hooks throw then. A test that passed fails if its job's cancel does not return
 * within the bound.
 */
export function endsWithTest<T extends Job | ChildProcess | AbortController>(t: TestContext, started: T): T {
  t.after(() => {
    if (started instanceof ChildProcess) return killChild(started);
    if (started instanceof AbortController) return started.abort(new Error('the test ended'));
    return cancelJob(started as Job);
  });
  return started;
}

async function cancelJob(job: Job): Promise<void> {
  // Looked at only now: a handler on `result` from the start would hide a failure the test never awaited.
  const running = await Promise.race([job.result.then(() => false, () => false), new Promise<boolean>((r) => setImmediate(() => r(true)))]);
  if (!running) return;
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'bound'>((r) => { timer = setTimeout(() => r('bound'), BOUND_MS); });
  // Its failure, if the cancel comes with one, is not the test's: the test ended first.
  const end = await Promise.race([job.cancel().then(() => 'ended', () => 'ended'), bound]);
  clearTimeout(timer);
  if (end === 'bound') throw new Error(`the test ended with its job running, and cancel() had not returned after ${BOUND_MS} ms`);
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<'bound'>((r) => { timer = setTimeout(() => r('bound'), BOUND_MS); });
  const end = await Promise.race([exited.then(() => 'exited'), bound]);
  clearTimeout(timer);
  if (end === 'bound') throw new Error(`the test ended with its child process ${child.pid} running, and it had not exited ${BOUND_MS} ms after SIGKILL`);
}
