// Runs until cancelled: numbers into a collect sink, chained (records stay the objects emitted). Record AT has a
// getter that a structured clone reads, so the cancelled run's handover of the sink's records blocks in it until
// the file `release` exists (bounded: 60 s, then it throws); with ?read=<path>, the getter first writes that file.
// With ?count=<n>, the source is bounded (n records): the sink's end posts them (a finished sink's tail).
// ?release=<path>[&read=<path>][&count=<n>]
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob } from '../../../../core/index.js';

export const AT = 1000;
const params = new URL(import.meta.url).searchParams;
const release = params.get('release') ?? '';
const read = params.get('read');
const count = params.get('count');
const pause = new Int32Array(new SharedArrayBuffer(4));

function held(i: number): { i: number } {
  return Object.defineProperty({} as { i: number }, 'i', {
    enumerable: true,
    get() {
      if (read !== null) writeFileSync(read, '');
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
  env.fromGenerator({ seed: 1, ...(count === null ? {} : { count: Number(count) }) }, (i) => (i === AT ? held(i) : { i })).name('numbers')
    .collect().name('out');
});
