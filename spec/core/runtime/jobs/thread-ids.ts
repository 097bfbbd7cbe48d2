// Tells which worker thread mapped each record, and how many times this thread's copy of the job module built
// the job (module-level state: a thread kept by a ThreadCache builds it once per run). The map fails while the
// file failMarker(process.pid) exists (worker threads share the process's pid).
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { defineJob } from '../../../../core/index.js';

export const failMarker = (pid: number): string => join(tmpdir(), `sluice-thread-ids-${pid}.fail`);

let builds = 0;

export default defineJob((env) => {
  builds++;
  const fail = existsSync(failMarker(process.pid));
  env.fromCollection([1, 2, 3, 4, 5, 6, 7, 8]).name('numbers')
    .map((x: number) => {
      if (fail) throw new Error('the fail marker is there');
      return { x, thread: threadId, builds };
    }).name('where')
    .collect().name('out');
});
