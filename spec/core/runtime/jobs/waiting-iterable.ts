// An async generator source that yields two records, then waits inside an `await` that never settles (as one
// waiting on a quiet socket or queue does): for cancel, which must not wait on the generator's return().
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromAsyncIterable(() => (async function* () {
    yield 1;
    yield 2;
    await new Promise<never>(() => {});
  })(), 'waiting').name('waiting')
    .map((x: number) => x).name('m')
    .collect().name('out');
});
