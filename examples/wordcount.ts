// Word count over generated sentences: flatMap → keyBy → reduce → collect.
import { defineJob } from '../core/index.js';

const WORDS = ['stream', 'ring', 'thread', 'state', 'barrier', 'window', 'key', 'event', 'time', 'sluice'];

export default defineJob((env) => {
  env.fromGenerator({ count: 100_000, seed: 1 }, (i, r) => `${WORDS[r.int(WORDS.length)]} ${WORDS[r.int(WORDS.length)]} ${WORDS[i % WORDS.length]}`)
    .name('sentences')
    .flatMap((line: string) => line.split(' '))
    .name('split')
    .map((w) => ({ word: w, count: 1 }))
    .name('pair')
    .keyBy((p) => p.word)
    .reduce((a, b) => ({ word: a.word, count: a.count + b.count }))
    .name('count')
    .collect()
    .name('out');
});
