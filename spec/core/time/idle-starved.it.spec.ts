// Idleness by wall-clock time on a thread that user code keeps busy: a source waiting on its own promise (an async
// feed whose next record comes in the next event-loop turn) was marked idle while heavy user code on its thread kept
// that turn from coming, though its record was one turn away; the stream's watermark then let the other source's
// watermark through, and its next record was late. Idle time now counts only up to the thread's last event-loop
// turn, and not once the source's promise has settled.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { run } from '../../../core/index.js';
import { BUSY, FEED } from './jobs/idle-starved.js';

test('a source waiting on its promise is not idle while heavy user code on its thread keeps the event loop from settling it', async () => {
  const h = await run(new URL('./jobs/idle-starved.ts?idle=100&starveMs=150', import.meta.url), { parallelism: 1, threads: 1 });
  const { collected } = await h.result;
  assert.deepEqual(collected.late, [], 'no record of the feed late: it was never idle with a record one turn away');
  assert.deepEqual([...(collected.counts as number[])].sort((a, b) => a - b), [FEED, BUSY]);
});
