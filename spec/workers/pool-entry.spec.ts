// workers/pool-entry.cjs, every job pool's filename. Regression, named after what broke: piscina require()s its
// filename first, and on Node 20.20 a thread terminated while require() instantiated the ES-module entry aborted the
// whole test process (V8 fatal error in Module::IsGraphAsync, CI, lifecycle.it: a pool destroyed while it started a
// replacement for a thread that died). The entry must load under require() with require(esm) turned off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { POOL_ENTRY, WORKER_MODULE_ENV } from '../../core/runtime/attempt.js';

/** Runs piscina's first step (require of the pool's filename) in a thread that cannot require an ES module. */
async function requireInThread(env: Record<string, string>, arg: number): Promise<{ ok: true; value: unknown } | { ok: false; name: string; code?: string; message: string }> {
  const w = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      try {
        const handler = require(workerData.entry);
        parentPort.postMessage({ ok: true, value: await handler(workerData.arg) });
      } catch (e) {
        parentPort.postMessage({ ok: false, name: e.name, code: e.code, message: e.message });
      }
    })();
  `, { eval: true, execArgv: ['--no-experimental-require-module'], env, workerData: { entry: POOL_ENTRY, arg } });
  try {
    const [m] = await once(w, 'message');
    return m;
  } finally {
    await w.terminate();
  }
}

test('the pool\'s entry is CommonJS and runs the module its environment names, loaded with import()', async () => {
  assert.match(POOL_ENTRY, /\.cjs$/);
  const module = `data:text/javascript,export default async (x) => x * 2;`;
  assert.deepEqual(await requireInThread({ [WORKER_MODULE_ENV]: module }, 21), { ok: true, value: 42 });
});

test('a module that fails to load fails the thread\'s first task, with its own error', async () => {
  const module = `data:text/javascript,throw new RangeError('the job module failed');`;
  const r = await requireInThread({ [WORKER_MODULE_ENV]: module }, 1);
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.name === 'RangeError' && r.message === 'the job module failed', JSON.stringify(r));
});

test('without the module named, the entry says what it needs', async () => {
  const r = await requireInThread({}, 1);
  assert.ok(!r.ok && r.name === 'TypeError' && r.message.includes(WORKER_MODULE_ENV), JSON.stringify(r));
});
