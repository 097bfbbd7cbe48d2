// Tells, from each worker thread, whether msgpackr decodes strings with its native addon (msgpackr-extract) there.
import { isMainThread } from 'node:worker_threads';
import { isNativeAccelerationEnabled } from 'msgpackr';
import { defineJob } from '../../../../core/index.js';

export default defineJob((env) => {
  env.fromCollection([1, 2, 3, 4]).name('numbers').rebalance()
    .map((x: number) => ({ x, worker: !isMainThread, native: isNativeAccelerationEnabled, kept: process.env['SLUICE_NATIVE_STRINGS_SPEC'] ?? null }))
    .setParallelism(2).name('ask')
    .collect().name('out');
});
