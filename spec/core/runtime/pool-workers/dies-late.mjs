// A piscina task for end-pool.it.spec.ts. 'die': throws outside the task, and its thread cannot end until a
// child thread of its own, blocked opening the FIFO `gate` for reading, gets a writer (a thread's end joins its
// child threads, and terminating one does not interrupt an open()). Any other mode waits until terminated.
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';

export default async function ({ mode, gate }) {
  if (mode === 'die') {
    const child = new Worker(`require('node:worker_threads').parentPort.postMessage('ready'); require('node:fs').openSync(${JSON.stringify(gate)}, 'r');`, { eval: true });
    await once(child, 'message');
    setTimeout(() => { throw new Error('thrown outside the task'); }, 0);
  }
  await new Promise(() => {});
}
