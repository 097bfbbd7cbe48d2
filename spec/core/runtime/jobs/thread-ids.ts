// Tells which worker thread mapped each record, and how many times this thread's copy of the job module built
// the job (module-level state: a thread kept by a ThreadCache builds it once per run). The map fails while the
// file failMarker(process.pid) exists (worker threads share the process's pid). With ?throwWhenIdle=PATH, each
// worker thread throws from a timer, outside any run, once a file appears at PATH.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMainThread, threadId } from 'node:worker_threads';
import { defineJob } from '../../../../core/index.js';

export const failMarker = (pid: number): string => join(tmpdir(), `sluice-thread-ids-${pid}.fail`);

const throwWhenIdle = new URL(import.meta.url).searchParams.get('throwWhenIdle');
let builds = 0;
let armed = false;

export default defineJob((env) => {
  builds++;
  if (throwWhenIdle !== null && !isMainThread && !armed) {
    armed = true;
    setInterval(() => { if (existsSync(throwWhenIdle)) throw new Error('thrown by an idle thread'); }, 5).unref();
  }
  const fail = existsSync(failMarker(process.pid));
  env.fromCollection([1, 2, 3, 4, 5, 6, 7, 8]).name('numbers')
    .map((x: number) => {
      if (fail) throw new Error('the fail marker is there');
      return { x, thread: threadId, builds };
    }).name('where')
    .collect().name('out');
});
