// The main thread's end of the warnings channel: a thread's result comes through piscina and may arrive before a
// warning the thread posted just before it. The attempt must wait for every warning the result counts: it closed
// the channel a turn after the results, and a warning still on its way then was lost.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as turn } from 'node:timers/promises';
import { WorkerWarningsListener, workerWarnings } from '../../../core/runtime/worker-warnings.js';
import type { ThreadResult } from '../../../workers/assignment.js';
import { run } from '../../../core/index.js';

test('a warning that arrives after its thread\'s result still reaches the run\'s warn', async () => {
  const heard: string[] = [];
  const listener = new WorkerWarningsListener((m) => heard.push(m));
  const thread = workerWarnings(listener.name, 1);
  try {
    // The result has come, counting one warning that has not: it is posted only after the attempt started to wait
    // and a turn has passed (where the channel used to close).
    const results: ThreadResult[] = [{ thread: 0, stopped: false }, { thread: 1, stopped: false, warnings: 1 }];
    let waited = false;
    const all = listener.allReceived(results, (m) => heard.push(`bound: ${m}`)).then(() => { waited = true; });
    await turn();
    await turn();
    assert.equal(waited, false, 'allReceived resolved before the counted warning came');
    thread.warn('a followed file vanished: /tmp/x.jsonl');
    assert.equal(thread.posted, 1);
    await all;
    assert.deepEqual(heard, ['a followed file vanished: /tmp/x.jsonl']);
    // Nothing counted (a thread that died or was terminated): no wait.
    await listener.allReceived([{ thread: 2, stopped: true }], (m) => heard.push(`bound: ${m}`));
  } finally {
    thread.close();
    listener.close();
  }
});

test('a run hears the warnings its readers say as they close, the last thing their threads post', async () => {
  const heard: string[] = [];
  const { collected } = await (await run(new URL('./jobs/warns-at-end.ts', import.meta.url), { parallelism: 2, onWarning: (m) => heard.push(m) })).result;
  assert.deepEqual((collected.out as number[]).slice().sort(), [0, 1]);
  assert.deepEqual(heard.slice().sort(), ['subtask 0 closed', 'subtask 1 closed']);
});
