// The grace period of a stop. Regression: `stopGraceMs: Infinity` passed the option check, but setTimeout fires a
// delay past 2^31 - 1 ms after 1 ms, so every cancel terminated its threads at once and lost a collect sink's records.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStopGrace } from '../../../core/runtime/stop-grace.js';
import { jobControlSlots } from '../../../shm/layout.js';

test('stopGraceMs Infinity (or past setTimeout\'s range) never terminates: the stop waits for the threads', async () => {
  const control = new SharedArrayBuffer(jobControlSlots(1) * Int32Array.BYTES_PER_ELEMENT);
  const terminated: string[] = [];
  const warnings: string[] = [];
  const graces = [Infinity, 2 ** 31].map((ms) => startStopGrace({
    ms, control, threads: 1, unsettled: () => [0], warn: (w) => warnings.push(w), terminate: () => terminated.push(String(ms)),
  }));
  // A finite grace started after them: timers fire in order of their time, so by its end the others' would have.
  await new Promise<void>((resolve) => {
    startStopGrace({ ms: 20, control, threads: 1, unsettled: () => [0], warn: (w) => warnings.push(w), terminate: () => { terminated.push('20'); resolve(); } });
  });
  assert.deepEqual(terminated, ['20']);
  assert.equal(warnings.length, 1, warnings.join(' | '));
  assert.match(warnings[0]!, /did not stop within stopGraceMs \(20 ms\) and was terminated \(user code that does not return\?\)/);
  for (const g of graces) g.clear();
});
