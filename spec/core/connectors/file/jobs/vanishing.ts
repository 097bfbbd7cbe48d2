// A followed file that the main thread lists (enumerateSplits) and that each worker thread deletes as it loads this
// module, before its reader opens the file: the race between a scan and an opening, every time. ?file=<path>.
import { isMainThread } from 'node:worker_threads';
import { rmSync } from 'node:fs';
import { defineJob, jsonLines } from '../../../../../core/index.js';

const file = new URL(import.meta.url).searchParams.get('file')!;
if (!isMainThread) rmSync(file, { force: true });

export default defineJob((env) => {
  env.fromFiles(file, jsonLines<{ i: number }>(), { follow: true }).name('followed').collect().name('out');
});
