// Two subtasks on two threads, chained (records stay the objects emitted) into a collect sink. Record AT is held
// (held-record.ts: a structured clone reads its getter, which writes `read`, then waits for `release`). Once the
// subtask that took AT has written `passed`, the other subtask fails on its next record.
// ?read=<path>&release=<path>&passed=<path>
import { existsSync, writeFileSync } from 'node:fs';
import { heldRecord, type HeldRecord as Rec } from './held-record.js';
import { defineJob } from '../../../../core/index.js';

export const AT = 1000;
const params = new URL(import.meta.url).searchParams;
const [read, release, passed] = [params.get('read')!, params.get('release')!, params.get('passed')!];

export default defineJob((env) => {
  // Per thread: each thread builds its own copy of the job.
  let tookHeld = false;
  let n = 0;
  env.fromGenerator({ seed: 1 }, (i): Rec => (i === AT ? heldRecord(i, { release, read }) : { i })).name('numbers')
    .map((r) => {
      if (r.held === true) { tookHeld = true; writeFileSync(passed, ''); }
      else if (!tookHeld && (++n & 255) === 0 && existsSync(passed)) throw new Error('fails beside the held record');
      return r;
    }).name('check')
    .collect().name('out');
});
