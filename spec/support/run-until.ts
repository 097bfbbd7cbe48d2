// Runs on: main thread (tests). A checkpointed job run for a number of checkpoints, then cancelled: how the rescale
// specs take the checkpoints they restore from.

import { run, type RunOptions } from '../../core/index.js';

/** Runs until `count` more checkpoints completed, then cancels (or until it ends by itself); `options` go to run. */
export async function runUntil(url: URL, stateDir: string, parallelism: number, resume: boolean, count: number, options: Partial<RunOptions> = {}): Promise<void> {
  let done = 0;
  let release!: () => void;
  const enough = new Promise<void>((r) => { release = r; });
  const h = await run(url, { ...options, parallelism, stateDir, resume, ringBytes: 64 * 1024, onCheckpoint: () => { if (++done >= count) release(); }, onWarning: () => {} });
  await Promise.race([enough, h.result]);
  await h.cancel();
}
