// Runs on: main thread (tests). What the per-split watermark tests (file and Redis) check a run of
// jobs/split-watermarks.ts against: the oracle's count per stream and window, and the job's output read until every
// record is in a fired window or late.

import assert from 'node:assert/strict';
import type { JobHandle } from '../../../core/index.js';
import type { Ev, Out } from './jobs/split-watermarks.js';

export type Late = Extract<Out, { kind: 'late' }>;

/** Records per `stream@windowStart`, tumbling windows of `size` ms. */
export function windowOracle(evs: readonly Ev[], size: number): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of evs) {
    const k = `${e.s}@${e.ts - (e.ts % size)}`;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** Reads 'out' until `total` records are in fired windows (each window once) or late, then cancels the job. */
export async function readWindows(h: JobHandle<{ out: Out[] }>, total: number): Promise<{ windows: Map<string, number>; late: Late[] }> {
  const windows = new Map<string, number>();
  const late: Late[] = [];
  let seen = 0;
  for await (const o of h.output('out')) {
    if (o.kind === 'late') {
      late.push(o);
      seen++;
    } else {
      const k = `${o.s}@${o.start}`;
      assert.equal(windows.has(k), false, `window ${k} fired once`);
      windows.set(k, o.count);
      seen += o.count;
    }
    if (seen === total) break;
  }
  await h.cancel();
  return { windows, late };
}
