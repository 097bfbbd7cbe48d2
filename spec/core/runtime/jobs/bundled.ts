// A TypeScript job whose user functions, run on worker threads, depend on where their files are:
// import.meta.url of the job (with its query string) and of a file it imports, and createRequire from them.
import { threadId } from 'node:worker_threads';
import { defineJob } from '../../../../core/index.js';
import { besideMe, packagePath } from './bundled/helper.js';

const tag = new URL(import.meta.url).searchParams.get('tag') ?? 'none';

export default defineJob((env) => {
  env.fromCollection([1, 2, 3, 4]).name('nums').setParallelism(2)
    .map((x: number) => ({ x, tag, beside: besideMe(), msgpackr: packagePath(), worker: threadId !== 0 }))
    .name('where').setParallelism(2)
    .collect().name('out');
});
