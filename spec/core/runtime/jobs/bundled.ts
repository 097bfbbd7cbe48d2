// A TypeScript job whose user functions, run on worker threads, depend on where their files are:
// import.meta.url of the job (with its query string) and of a file it imports, and createRequire from them.
// ?tag=throw: the user function throws at x = 3 (its stack trace must name this file).
import { threadId } from 'node:worker_threads';
import { defineJob } from '../../../../core/index.js';
import { besideMe, packagePath } from './bundled/helper.js';

const tag = new URL(import.meta.url).searchParams.get('tag') ?? 'none';

export default defineJob((env) => {
  env.fromCollection([1, 2, 3, 4]).name('nums').setParallelism(2)
    .map((x: number) => {
      if (tag === 'throw' && x === 3) throw new Error('thrown by the job at x = 3');
      return { x, tag, beside: besideMe(), msgpackr: packagePath(), worker: threadId !== 0, runningFrom: runningFrom() };
    })
    .name('where').setParallelism(2)
    .collect().name('out');
});

/** The file V8 runs this code from, before source maps: this .ts file through tsx, or the worker bundle. */
function runningFrom(): string {
  const prepare = Error.prepareStackTrace;
  Error.prepareStackTrace = (_e, sites) => sites;
  try {
    const sites = new Error().stack as unknown as NodeJS.CallSite[];
    return (sites[0]!.getFileName() ?? '').split(/[\\/]/).pop()!.split('?')[0]!;
  } finally {
    Error.prepareStackTrace = prepare;
  }
}
