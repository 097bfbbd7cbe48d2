// Runs jobs/trial.ts on one case and returns what it emitted.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type RunOptions } from '../../../core/index.js';
import type { Out } from './jobs/trial.js';
import type { TrialCase } from './trial-events.js';
import { readLedger } from '../checkpoint/ledger.js';
import { polledUntil } from '../../support/polled-until.js';

export async function runTrial(c: TrialCase, extra: Record<string, string | number>, options: RunOptions = {}): Promise<Out[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-trial-'));
  try {
    const file = path.join(dir, 'events.json');
    writeFileSync(file, JSON.stringify(c.events));
    const q = new URLSearchParams({ events: file });
    for (const [k, v] of Object.entries({ ...c.params, ...extra })) q.set(k, String(v));
    const h = await run<{ out: Out[] }>(new URL(`./jobs/trial.ts?${q}`, import.meta.url), { ringBytes: 64 * 1024, onWarning: () => {}, ...options });
    const r = await h.result;
    return r.collected.out ?? [];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The trial job with checkpoints every `interval` ms into a ledger: it throws once at record `failAt` (held back
 * until a checkpoint has completed) and restarts from that checkpoint. Returns the ledger's records and restarts.
 */
export async function runTrialWithCrash(c: TrialCase, p: number, failAt: number, options: RunOptions = {}): Promise<{ out: Out[]; restarts: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-trial-'));
  try {
    const file = path.join(dir, 'events.json');
    writeFileSync(file, JSON.stringify(c.events));
    const checkpointed = path.join(dir, 'checkpointed');
    const ledger = path.join(dir, 'ledger');
    const q = new URLSearchParams({ events: file });
    for (const [k, v] of Object.entries({ ...c.params, p, interval: 10, ledger, failAt, holdAt: failAt, held: checkpointed, marker: path.join(dir, 'failed'), checkpointed })) q.set(k, String(v));
    const h = await run(new URL(`./jobs/trial.ts?${q}`, import.meta.url), {
      ringBytes: 64 * 1024, onWarning: () => {}, stateDir: path.join(dir, 'state'),
      restartStrategy: { type: 'fixed-delay', attempts: 2, delayMs: 10 },
      onCheckpoint: () => { if (!existsSync(checkpointed)) writeFileSync(checkpointed, ''); },
      ...options,
    });
    const r = await h.result;
    return { out: readLedger<Out>(ledger), restarts: r.restarts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The trial job at parallelism `p1` until its source has read `at` records, stopped with a savepoint, then resumed
 * from it at `p2` to the end; returns what both runs published to the ledger.
 */
export async function runTrialRescaled(c: TrialCase, p1: number, p2: number, at: number): Promise<Out[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sluice-trial-'));
  try {
    const file = path.join(dir, 'events.json');
    writeFileSync(file, JSON.stringify(c.events));
    const ledger = path.join(dir, 'ledger');
    const stateDir = path.join(dir, 'state');
    const url = (p: number, hold: boolean) => {
      const q = new URLSearchParams({ events: file });
      for (const [k, v] of Object.entries({ ...c.params, p, ledger, ...(hold ? { holdAt: at, held: path.join(dir, 'never') } : {}) })) q.set(k, String(v));
      return new URL(`./jobs/trial.ts?${q}`, import.meta.url);
    };
    const h = await run(url(p1, true), { ringBytes: 64 * 1024, onWarning: () => {}, stateDir });
    try {
      // The source has read its records before the hold, and they went through the chain behind it.
      await polledUntil(() => h.metrics().operators.filter((o) => o.operator === 'inject').reduce((n, o) => n + o.recordsIn, 0) >= at, `${at} records read`, h, 5);
      await h.stopWithSavepoint('sp');
      await h.result;
    } finally {
      // Held, the job never ends by itself: one a failed wait left running would keep the test process alive.
      await h.cancel().catch(() => {});
    }
    const h2 = await run(url(p2, false), { ringBytes: 64 * 1024, onWarning: () => {}, stateDir, resume: { savepoint: 'sp' } });
    await h2.result;
    return readLedger<Out>(ledger);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
