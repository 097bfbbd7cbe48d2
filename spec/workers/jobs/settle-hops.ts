// A job for the task loop's settle hops (RunOptions.settleHops): n records through an asyncMap of capacity 1
// whose function resolves at once. Each result carries how many turns the thread's event loop had taken by then
// (a setImmediate chain counts them), so the test sees whether results waited for turns or for microtasks only.
//   ?n=3000
import { defineJob } from '../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 3000);

export interface Settled { i: number; turns: number }

export default defineJob((env) => {
  // Per thread (every thread builds the graph): the count of event-loop turns, from the first request on.
  let turns = -1;
  const count = (): void => { turns++; if (turns < 10 * n) setImmediate(count); };
  env.fromGenerator({ count: n, seed: 1 }, (i) => i).name('numbers').setParallelism(1)
    .asyncMap(async (i: number): Promise<Settled> => {
      if (turns < 0) count();
      return { i, turns };
    }, { capacity: 1 }).name('lookup').setParallelism(1)
    .collect().name('out');
});
