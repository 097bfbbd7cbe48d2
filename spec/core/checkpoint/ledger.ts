// A durable, transactional test sink and the Jepsen-style count of what reached it.
//
// The sink's writers keep records until a barrier; prepareCommit hands them over as a transaction; commit (main
// thread, after the checkpoint completed) writes each transaction to `<dir>/<subtask>-<checkpoint>.json`
// atomically (temp file + rename) unless that file exists: published at most once per transaction, whatever
// restarts or processes run in between. Reading the directory gives every committed record.

import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PreparedTransaction, SinkSpec } from '../../../core/index.js';

/**
 * `inner` under another kind, with `before(r)` run ahead of each record's write; `perWriter` makes a `before` for
 * each writer, so its counters are that subtask's own. The test jobs' slow or failing sinks.
 */
export function beforeEachWrite<T>(inner: SinkSpec<T>, kind: string, perWriter: () => (r: T) => void): SinkSpec<T> {
  return {
    ...inner,
    kind,
    createWriter(subtask, parallelism) {
      const w = inner.createWriter(subtask, parallelism);
      const before = perWriter();
      return { ...w, write(r: T) { before(r); w.write(r); } };
    },
  };
}

/** Blocks this thread for `ms`: what keeps a test job's rings full, never what orders a test. */
export function blockFor(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function ledgerSink<T>(dir: string): SinkSpec<T> {
  return {
    kind: 'test-ledger',
    fingerprint: `test-ledger(${dir})`,
    createWriter() {
      let items: T[] = [];
      return {
        write: (v) => { items.push(v); },
        prepareCommit: () => { const t = items; items = []; return t; },
        finish: () => undefined,
      };
    },
    commit(transactions: PreparedTransaction[]) {
      mkdirSync(dir, { recursive: true });
      for (const t of transactions) {
        // An end of input by its own id: a subtask can end again after a restore (PreparedTransaction.end).
        const file = path.join(dir, `${t.subtask}-${t.checkpointId < 0 ? `end-${t.end ?? ''}` : t.checkpointId}.json`);
        if (existsSync(file)) continue;
        writeFileSync(`${file}.tmp`, JSON.stringify(t.transaction));
        renameSync(`${file}.tmp`, file);
      }
    },
  };
}

/** Every committed record in a ledger directory. */
export function readLedger<T>(dir: string): T[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as T[]);
}

export interface Tally {
  lost: number;
  duplicated: number;
  unexpected: number;
}

/** Counts, over ids 0 .. n-1, those never seen, seen more than once, and ids outside the range. */
export function tally(ids: Iterable<number>, n: number): Tally {
  const seen = new Uint8Array(n);
  let duplicated = 0;
  let unexpected = 0;
  for (const i of ids) {
    if (!Number.isInteger(i) || i < 0 || i >= n) { unexpected++; continue; }
    if (seen[i] === 1) duplicated++;
    else seen[i] = 1;
  }
  let lost = 0;
  for (let i = 0; i < n; i++) if (seen[i] === 0) lost++;
  return { lost, duplicated, unexpected };
}

/** Per key, the updates a running count emitted must be exactly 1, 2, ..., last: returns keys where they are not. */
export function brokenCounts(updates: readonly { key: string; count: number }[]): string[] {
  const byKey = new Map<string, number[]>();
  for (const u of updates) {
    let l = byKey.get(u.key);
    if (!l) { l = []; byKey.set(u.key, l); }
    l.push(u.count);
  }
  const broken: string[] = [];
  for (const [k, cs] of byKey) {
    cs.sort((a, b) => a - b);
    if (cs.some((c, i) => c !== i + 1)) broken.push(k);
  }
  return broken;
}

/** Records committed to a ledger directory so far, read incrementally (each checkpoint adds files; each is read once). */
export function ledgerCounter(dir: string): () => number {
  const seen = new Set<string>();
  let count = 0;
  return () => {
    if (!existsSync(dir)) return 0;
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.json') || seen.has(f)) continue;
      seen.add(f);
      count += (JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as unknown[]).length;
    }
    return count;
  };
}
