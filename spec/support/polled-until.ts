// Runs on: main thread (a test). A condition polled while a job (or a child process) runs: a loop that polled only
// the condition spun on for good once the job had ended without it, keeping the test process alive after the test.

/** Resolves once `ready()` holds, looked at every `everyMs`; once `job` has ended without it, rejects (its failure, or saying what was awaited). */
export async function polledUntil(ready: () => boolean, what: string, job: { readonly result: Promise<unknown> }, everyMs = 10): Promise<void> {
  let ended = false;
  // Its failure is rethrown below: seen here, not hidden.
  job.result.then(() => { ended = true; }, () => { ended = true; });
  while (!ready()) {
    if (ended) {
      await job.result;
      throw new Error(`the job ended before ${what}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
