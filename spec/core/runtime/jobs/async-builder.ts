// A job whose builder is async: what it adds after its first await would be missing; refused when built.
import { defineJob } from '../../../../core/index.js';

export default defineJob(async (env) => {
  env.fromCollection([1, 2, 3]).name('numbers').map((x) => x).name('before-await').discard();
  await Promise.resolve();
  env.fromCollection([4]).name('late').discard();
});
