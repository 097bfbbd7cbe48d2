// Runs on: the benchmark's (or test's) main thread. Runs a Nexmark query as a sluice job (sluice-job.ts) and
// returns what a baseline run returns (rows, checksum, wall time), so a suite driver can interleave the two.
// The job reads its query and config from process.env, which its worker threads copy when they start: they
// are set for the length of the run and restored after, so runs must not overlap.

import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type ThreadCache } from '../../core/index.js';
import { addTotals, epochMs, type ChecksumSinkResult } from '../job-generator.js';
import { withRssPeak } from '../report.js';
import type { BaselineRun } from './baselines.js';
import type { NexmarkConfig } from './config.js';
import { nexmarkQueryEnv } from './env.js';
import type { QueryName } from './queries.js';
import { SINK_NAME } from './sluice-job.js';

const JOB_URL = new URL('./sluice-job.ts', import.meta.url);

export interface SluiceRunOptions {
  parallelism: number;
  /** Checkpoint every this many ms (default: no checkpoints). */
  checkpointIntervalMs?: number;
  /** Where checkpoints go; default with checkpointIntervalMs: a temporary directory, removed after the run. */
  stateDir?: string;
  /** Watermark interval, ms of wall time (default: sluice's 200). Tests set it low so windows close mid-stream. */
  watermarkIntervalMs?: number;
  /** Pruning before exchanges (SluiceQueryOptions.prefilter; default true). */
  prefilter?: boolean;
  /** Threads kept between runs (RunOptions.threadCache; default: each run starts its own). */
  threadCache?: ThreadCache;
}

export interface SluiceRun extends BaselineRun {
  /** Peak resident set size of the process during the run (all threads), MiB. */
  rssMB: number;
  /** Worker threads of the job. */
  threads: number;
  /**
   * Periodic checkpoints completed during the run: not the final one every run that reaches the end of its input
   * takes (counted, a run shorter than the interval said 1 and looked checkpointed).
   */
  checkpoints: number;
  /**
   * run() call to the first row at any sink, ms: thread start-up and graph building plus the first row's way
   * through. Start-up only for queries that output from their first events on (q0 to q3); NaN without rows.
   */
  firstRowMs: number;
}

/**
 * Runs query `q` over `config.events` generated events on sluice at `parallelism`, timed from the run() call to
 * the result (thread start-up included, as a baseline's time includes its set-up). Totals are the rows and
 * checksum every sink subtask folded (with checkpoints: the committed ones).
 */
export async function runSluiceQuery<Q extends QueryName>(q: Q, config: NexmarkConfig, options: SluiceRunOptions): Promise<SluiceRun> {
  const vars = nexmarkQueryEnv(q, config, { watermarkIntervalMs: options.watermarkIntervalMs, prefilter: options.prefilter });
  const saved = new Map(Object.keys(vars).map((k) => [k, process.env[k]]));
  const checkpointing = options.checkpointIntervalMs !== undefined && options.checkpointIntervalMs > 0;
  const tempDir = checkpointing && options.stateDir === undefined ? mkdtempSync(path.join(os.tmpdir(), `sluice-nexmark-${q}-`)) : undefined;
  Object.assign(process.env, vars);
  try {
    const { value, peakMB } = await withRssPeak(async () => {
      const calledAt = epochMs();
      const t0 = performance.now();
      const handle = await run(JOB_URL, {
        parallelism: options.parallelism,
        ...(options.threadCache !== undefined ? { threadCache: options.threadCache } : {}),
        ...(checkpointing ? { checkpointIntervalMs: options.checkpointIntervalMs, stateDir: options.stateDir ?? tempDir } : {}),
      });
      const result = await handle.result;
      const ms = performance.now() - t0;
      return { ms, calledAt, result, threads: handle.plan.threads };
    });
    const parts = (value.result.collected[SINK_NAME] ?? []) as ChecksumSinkResult[];
    const firstAt = Math.min(...parts.map((p) => p.firstAt).filter((t) => Number.isFinite(t)));
    return {
      ...addTotals(parts), ms: value.ms, rssMB: peakMB, threads: value.threads, checkpoints: value.result.checkpoints.completed.filter((c) => c.kind === 'checkpoint').length,
      firstRowMs: Number.isFinite(firstAt) ? firstAt - value.calledAt : Number.NaN,
    };
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    if (tempDir !== undefined) rmSync(tempDir, { recursive: true, force: true });
  }
}
