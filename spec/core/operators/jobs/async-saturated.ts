// A generator feeding an asyncMap whose requests all wait for a marker file (`release` in `dir`): the asyncMap
// fills to its capacity and stays full until the spec writes the file, so its in-flight gauge and its task's time
// waiting on async results can be read while it is saturated. With `rate` (records a second) the source is paced:
// below capacity it holds no record back, so its latency markers go into the asyncMap and wait there.
//   ?dir=/tmp/x&n=1000&capacity=50      ?dir=/tmp/x&n=200&capacity=1000&rate=100
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const release = join(q.get('dir') ?? '.', 'release');
let released: Promise<void> | undefined;

/** One poll of the marker file per thread, shared by every request. */
function whenReleased(): Promise<void> {
  released ??= new Promise<void>((resolve) => {
    const t = setInterval(() => { if (existsSync(release)) { clearInterval(t); resolve(); } }, 5);
  });
  return released;
}

export default defineJob((env) => {
  env.fromGenerator({ count: Number(q.get('n') ?? 1000), seed: 1, ...(q.has('rate') ? { ratePerSec: Number(q.get('rate')) } : {}) }, (i) => i).name('gen')
    .asyncMap(async (x: number) => { await whenReleased(); return x; }, { capacity: Number(q.get('capacity') ?? 50) }).name('enrich')
    .discard().name('out');
});
