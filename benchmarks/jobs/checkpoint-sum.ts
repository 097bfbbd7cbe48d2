// Runs on: the benchmark's main thread and every sluice worker thread. The checkpoint benchmark's job:
// generator (unbounded) → keyBy over 1,000,000 uniformly chosen keys → running sum → a sink that counts, and
// on its first record writes the wall time into a marker file (the restore benchmark's "first record
// processed"). Parameters come from the environment, identical on every thread. The sums are keyed state in
// typed columns (reduce's stateSchema), or objects per key with SLUICE_CKPT_STATE=objects.

import { writeFileSync } from 'node:fs';
import { defineJob, recordSchema } from '../../core/index.js';

export const KEYS_ENV = 'SLUICE_CKPT_KEYS';
export const FIRST_RECORD_ENV = 'SLUICE_CKPT_FIRST_RECORD_FILE';
/** 'typed' (default): reduce with a state schema; 'objects': without. */
export const STATE_ENV = 'SLUICE_CKPT_STATE';

const sumSchema = recordSchema({ key: 'i64', sum: 'i64' });

interface Sum { key: number; sum: number }

export default defineJob((env) => {
  const keys = Number(process.env[KEYS_ENV] ?? 1_000_000);
  const marker = process.env[FIRST_RECORD_ENV] ?? '';
  const typed = (process.env[STATE_ENV] ?? 'typed') !== 'objects';
  env.fromGenerator({ seed: 11 }, (_i, r) => ({ key: r.int(keys), sum: r.int(100) }) as Sum).name('events').uid('events')
    .keyBy((e) => e.key)
    .reduce((a, b) => ({ key: a.key, sum: a.sum + b.sum }), typed ? { stateSchema: sumSchema } : {}).name('sum').uid('sum')
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
