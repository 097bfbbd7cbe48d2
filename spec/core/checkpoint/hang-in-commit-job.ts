// Runs on: main thread (a test). The hang-in-commit job (jobs/hang-in-commit.ts) in a test's directory: its URL and
// the paths it writes (the ledger, the marker of the hung commit) and the state directory to run it with.

import path from 'node:path';

export interface HangInCommitJob { url: URL; stateDir: string; ledger: string; marker: string }

/**
 * The job of `count` records whose sinks' commit of checkpoint `hangAt` hangs once ('end': the first holding
 * end-of-input transactions, the final one unless a periodic one took the final states), all under `dir`.
 * `also`: the job's optional parameters (`armed`, `fail`, `hold`: paths of files the test writes).
 */
export function hangInCommitJob(dir: string, hangAt: number | 'end', count: number, also: { armed?: string; fail?: string; hold?: string } = {}): HangInCommitJob {
  const job = { url: new URL('./jobs/hang-in-commit.ts', import.meta.url), stateDir: path.join(dir, 'state'), ledger: path.join(dir, 'ledger'), marker: path.join(dir, 'committed') };
  for (const [k, v] of Object.entries({ ledger: job.ledger, marker: job.marker, hangAt, count, ...also })) job.url.searchParams.set(k, String(v));
  return job;
}
