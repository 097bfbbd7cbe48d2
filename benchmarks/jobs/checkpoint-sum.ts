// Runs on: the benchmark's main thread and every sluice worker thread. The checkpoint benchmark's job:
// generator (unbounded) → keyBy over 1,000,000 uniformly chosen keys → running sum → a sink that counts, and
// on its first record writes the wall time into a marker file (the restore benchmark's "first record
// processed"). Parameters come from the environment, identical on every thread. The sums are keyed state in
// typed columns (reduce's stateSchema), or objects per key with SLUICE_CKPT_STATE=objects.
// With SLUICE_CKPT_COUNT=N the generator is bounded (N records) and the sink checks the output instead of only
// counting it: per subtask, the records it received and each key's final sum (the largest: sums only grow), folded
// at the end into an order-free checksum. The running sums a key emits depend on how the two source subtasks'
// records interleave at the reduce; its final sum does not, so two runs of the same N agree whatever the engine
// options (checkpoints or not).

import { writeFileSync } from 'node:fs';
import { defineJob, recordSchema, type SinkSpec } from '../../core/index.js';

export const KEYS_ENV = 'SLUICE_CKPT_KEYS';
export const FIRST_RECORD_ENV = 'SLUICE_CKPT_FIRST_RECORD_FILE';
/** 'typed' (default): reduce with a state schema; 'objects': without. */
export const STATE_ENV = 'SLUICE_CKPT_STATE';
/** Records in total (a bounded run whose output is checked); unset: unbounded, the sink only counts. */
export const COUNT_ENV = 'SLUICE_CKPT_COUNT';

/** What a checked run's sink subtask hands back from finish(). */
export interface CheckedOutput { rows: number; checksum: number }

/** One key's final sum, hashed (added up over keys and subtasks: order-free). */
export function finalSumHash(key: number, sum: number): number {
  const h = Math.imul(key ^ 0x9e3779b9, 0x85ebca6b);
  return Math.imul(h ^ sum, 0xc2b2ae35) ^ (sum >>> 16);
}

const sumSchema = recordSchema({ key: 'i64', sum: 'i64' });

interface Sum { key: number; sum: number }

export default defineJob((env) => {
  const keys = Number(process.env[KEYS_ENV] ?? 1_000_000);
  const marker = process.env[FIRST_RECORD_ENV] ?? '';
  const typed = (process.env[STATE_ENV] ?? 'typed') !== 'objects';
  const count = process.env[COUNT_ENV] === undefined ? undefined : Number(process.env[COUNT_ENV]);
  const reduced = env.fromGenerator(count === undefined ? { seed: 11 } : { seed: 11, count }, (_i, r) => ({ key: r.int(keys), sum: r.int(100) }) as Sum).name('events').uid('events')
    .keyBy((e) => e.key)
    .reduce((a, b) => ({ key: a.key, sum: a.sum + b.sum }), typed ? { stateSchema: sumSchema } : {}).name('sum').uid('sum');
  if (count !== undefined) {
    reduced.sink(finalSumsSink()).name('out').uid('out');
    return;
  }
  reduced
    .sink({
      kind: 'bench-count',
      fingerprint: 'bench-count',
      createWriter() {
        let first = marker !== '';
        return {
          write() {
            if (first) { first = false; writeFileSync(marker, String(Date.now())); }
          },
          finish: () => undefined,
        };
      },
    }).name('out').uid('out');
});

/**
 * The checked run's sink. Without checkpoints finish() hands back each subtask's rows and final-sum checksum;
 * with them it is transactional (as the engine hands output back then): each barrier hands over the rows and the
 * keys whose sum grew since the last one, the main thread merges the committed ones (once each) and `committed()`
 * folds them the same way.
 */
function finalSumsSink(): SinkSpec<Sum> & { committed(): CheckedOutput[] } {
  const merged = new Map<number, { rows: number; last: Map<number, number> }>();
  const seen = new Set<string>();
  const fold = (last: Map<number, number>): number => {
    let checksum = 0;
    for (const [k, sum] of last) checksum = (checksum + finalSumHash(k, sum)) | 0;
    return checksum;
  };
  return {
    kind: 'bench-final-sums',
    fingerprint: 'bench-final-sums',
    createWriter() {
      const last = new Map<number, number>();
      let grown = new Map<number, number>();
      let rows = 0;
      let pending = 0;
      return {
        write(v: Sum) {
          rows++;
          pending++;
          if (!(v.sum <= (last.get(v.key) ?? -1))) { last.set(v.key, v.sum); grown.set(v.key, v.sum); }
        },
        prepareCommit() {
          const t = { rows: pending, sums: [...grown] };
          pending = 0;
          grown = new Map();
          return t;
        },
        finish: (): CheckedOutput[] => [{ rows, checksum: fold(last) }],
      };
    },
    commit(transactions) {
      for (const t of transactions) {
        const id = `${t.subtask}/${t.checkpointId}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const part = t.transaction as { rows: number; sums: [number, number][] };
        let m = merged.get(t.subtask);
        if (m === undefined) merged.set(t.subtask, m = { rows: 0, last: new Map() });
        m.rows += part.rows;
        for (const [k, sum] of part.sums) if (!(sum <= (m.last.get(k) ?? -1))) m.last.set(k, sum);
      }
    },
    committed: () => [...merged.keys()].sort((a, b) => a - b).map((k) => ({ rows: merged.get(k)!.rows, checksum: fold(merged.get(k)!.last) })),
  };
}
