// Regression: a subtask that worked in a round of its thread counted the whole round as busy, its neighbours'
// steps included. A light map sharing its thread with a heavy one (behind it, so backpressured by it) moves a few
// records each round, once the heavy one has taken some, and showed nearly the heavy one's busy time. Busy is
// what is neither idle nor backpressured: the light one, blocked on the heavy one's full input while that works,
// is backpressured then.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../core/index.js';

test("a light subtask beside a heavy one on its thread is busy for its own work, not the heavy one's", async () => {
  // One thread, no chaining: gen, light, heavy and out are four subtasks of one loop. A small ring fills at once,
  // so from the start the light map waits on the heavy one.
  const h = await run(new URL('./jobs/light-beside-heavy.ts?n=20000&spin=20000', import.meta.url), { parallelism: 1, threads: 1, chaining: false, ringBytes: 4096 });
  const result = await h.result;
  const of = (name: string) => {
    const t = result.metrics.tasks.find((x) => x.task === name);
    assert.ok(t !== undefined, `${name} in ${result.metrics.tasks.map((x) => x.task).join(', ')}`);
    return t;
  };
  const light = of('light');
  const heavy = of('heavy');
  const shown = (t: typeof light) => `busy ${t.busyMs.toFixed(1)}, backpressured ${t.backpressuredMs.toFixed(1)}, idle ${t.idleMs.toFixed(1)} ms`;
  // Per record the heavy map does 20,000 iterations, the light one an addition: its own steps are a small part of
  // the run (0.06 of the heavy one's busy time here). Under the old rule it was 0.72.
  assert.ok(light.busyMs < 0.2 * heavy.busyMs, `light: ${shown(light)}; heavy: ${shown(heavy)}`);
  // The rest of its time it waited on the heavy one: backpressured.
  assert.ok(light.backpressuredMs > 2 * light.busyMs, `light: ${shown(light)}`);
  // The heavy one always had input and room: busy nearly throughout.
  assert.ok(heavy.busyMs > 0.8 * (heavy.busyMs + heavy.backpressuredMs + heavy.idleMs), `heavy: ${shown(heavy)}`);
});
