// A job for the async iterable source across a restart: a generator of 0..1999 that, after 1000, waits for the
// test's `go` marker (so a checkpoint can be taken with 1000 records read); a map that marks record 999 seen and
// throws once at 1500. ?dir=... holds the markers; ?fail=factory|number makes the factory throw or return 42.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir') ?? '';
const fail = q.get('fail');

async function* numbers(): AsyncGenerator<number> {
  for (let i = 0; i < 2000; i++) {
    // Polls a marker file the test writes (no timing is asserted: the wait only orders the steps).
    if (i === 1000) while (!existsSync(join(dir, 'go'))) await sleep(5);
    yield i;
  }
}

const factory = fail === 'factory' ? (): AsyncIterable<number> => { throw new RangeError('the factory failed'); }
  : fail === 'number' ? (): AsyncIterable<number> => 42 as unknown as AsyncIterable<number>
  : numbers;

export default defineJob((env) => {
  env.fromAsyncIterable(factory, 'numbers').map((i: number) => {
    if (i === 999) writeFileSync(join(dir, 'seen-999'), '');
    if (i === 1500 && !existsSync(join(dir, 'failed'))) { writeFileSync(join(dir, 'failed'), ''); throw new Error('failing once at 1500'); }
    return i;
  }).name('check').collect().name('out');
});
