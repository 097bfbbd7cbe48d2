// A job whose user function never returns, run without checkpointing: the run says which thread is in one call
// and what runs there (it showed 0 events/s with no word; only a checkpoint's timeout named such a thread).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';

test('a map that blocks its thread: the run warns, naming the thread and the task, and a cancel still ends it', { timeout: 60_000 }, async () => {
  let said: (m: string) => void = () => {};
  const warning = new Promise<string>((r) => { said = r; });
  const h = await run(new URL('./jobs/hangs-in-map.ts', import.meta.url), {
    parallelism: 1, stuckWarningMs: 500, stopGraceMs: 100,
    onWarning: (m) => { if (/in one call/.test(m)) said(m); },
  });
  try {
    assert.match(await warning, /^thread 0 has been in one call for \d+ s, running .*hangs.* \(subtask 0\): user code that does not return/);
  } finally {
    await h.cancel().catch(() => {});
  }
});
