// `n` generated records through a light map and a heavy one (`spin` iterations of arithmetic per record), not
// chained: run with threads 1, each is a subtask of its own on the one thread.
//   ?n=20000&spin=20000
import { defineJob, generatorSource } from '../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const spin = Number(q.get('spin') ?? 20_000);

export default defineJob((env) => {
  env.fromSource(generatorSource({ count: n }, (i) => i), 'gen')
    .map((i) => i + 1).name('light')
    .map((i) => {
      // A fixed amount of work per record; the result is used, so it is not optimised away.
      let x = i;
      for (let k = 0; k < spin; k++) x = (Math.imul(x, 1103515245) + 12345) | 0;
      return x;
    }).name('heavy')
    .discard().name('out');
});
