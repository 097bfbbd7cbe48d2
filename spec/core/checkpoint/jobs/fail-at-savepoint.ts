// Runs on: every thread of the job (its graph), the sink's writer on its worker thread. A job whose attempt fails
// while a savepoint is under way: the sink's writer exits its thread at the first barrier it prepares (a savepoint's:
// periodic checkpoints are an hour apart), once; the restarted attempt runs on. Markers: `started` at the first
// record, `restarted` at the first record after the failure, `failed` as the thread exits.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { defineJob } from '../../../../core/index.js';

const params = new URL(import.meta.url).searchParams;
const dir = params.get('dir')!;
const marker = (m: string): string => path.join(dir, m);

export default defineJob((env) => {
  env.enableCheckpointing(3_600_000);
  env.fromGenerator({ ratePerSec: 2000 }, (i) => i).name('gen').setParallelism(1)
    .sink({
      kind: 'test-fail-at-savepoint',
      fingerprint: 'test-fail-at-savepoint',
      createWriter: () => ({
        write() {
          if (!existsSync(marker('started'))) writeFileSync(marker('started'), '');
          else if (existsSync(marker('failed')) && !existsSync(marker('restarted'))) writeFileSync(marker('restarted'), '');
        },
        prepareCommit() {
          if (!existsSync(marker('failed'))) { writeFileSync(marker('failed'), ''); process.exit(3); }
          return [];
        },
        finish() {},
      }),
      commit() {},
    }).name('out').setParallelism(1);
});
