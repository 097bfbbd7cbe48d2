// A job module whose top-level await never settles: run() waits on its import forever unless aborted.
import { defineJob } from '../../../../core/index.js';

await new Promise<never>(() => {});

export default defineJob((env) => { env.fromCollection([1]).name('never').discard(); });
