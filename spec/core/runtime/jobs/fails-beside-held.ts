// Two subtasks on two threads, chained (records stay the objects emitted) into a collect sink. Record AT is held:
// its `i` is a getter that a structured clone reads, writing the file `read` first, then waiting for `release`
// (bounded: 60 s). Once the subtask that took AT has written `passed`, the other subtask fails on its next record.
// ?read=<path>&release=<path>&passed=<path>
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';

export const AT = 1000;
const params = new URL(import.meta.url).searchParams;
const [read, release, passed] = [params.get('read')!, params.get('release')!, params.get('passed')!];
const pause = new Int32Array(new SharedArrayBuffer(4));

interface Rec { i: number; held?: true }

function held(i: number): Rec {
  return Object.defineProperty({ held: true } as Rec, 'i', {
    enumerable: true,
    get() {
      writeFileSync(read, '');
      const until = Date.now() + 60_000;
      while (!existsSync(release)) {
        if (Date.now() > until) throw new Error(`${release} not written within 60 s`);
        Atomics.wait(pause, 0, 0, 5);
      }
      return i;
    },
  });
}

export default defineJob((env) => {
  // Per thread: each thread builds its own copy of the job.
  let tookHeld = false;
  let n = 0;
  env.fromGenerator({ seed: 1 }, (i): Rec => (i === AT ? held(i) : { i })).name('numbers')
    .map((r) => {
      if (r.held === true) { tookHeld = true; writeFileSync(passed, ''); }
      else if (!tookHeld && (++n & 255) === 0 && existsSync(passed)) throw new Error('fails beside the held record');
      return r;
    }).name('check')
    .collect().name('out');
});
