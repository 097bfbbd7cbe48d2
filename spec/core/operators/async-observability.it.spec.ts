// A saturated asyncMap (every request of its capacity in flight) must be visible: its in-flight gauge and
// capacity in the metrics (handle.metrics(), Prometheus), its task's time waiting on the requests counted as
// async wait rather than idle, and latency markers that wait in it behind the records taken before them (and those
// it drops past its bound, counted).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, jobRegistry } from '../../../core/index.js';
import type { JobHandle } from '../../../core/runtime/job-handle.js';
import type { JobMetrics } from '../../../core/runtime/metrics.js';

/** Polls the job's shared metrics buffer (published every 100 ms by its threads) until `ok` holds. */
async function until(handle: JobHandle, what: string, ok: (m: JobMetrics) => boolean, timeoutMs = 30_000): Promise<JobMetrics> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const m = handle.metrics();
    if (ok(m)) return m;
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(m.operators.filter((o) => o.operator === 'enrich'))} ${JSON.stringify(m.tasks)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Regression: no metric counted an asyncMap's requests in flight, and its task's wait for them read as idle time.
test('a saturated asyncMap shows its requests in flight against its capacity, and its task waiting on them, not idle', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-saturated-'));
  const CAPACITY = 50;
  let h: JobHandle | undefined;
  try {
    h = await run(new URL(`./jobs/async-saturated.ts?dir=${encodeURIComponent(dir)}&n=1000&capacity=${CAPACITY}`, import.meta.url), { parallelism: 1 });
    const job = h;
    const enrich = (m: JobMetrics) => m.operators.find((o) => o.operator === 'enrich')!;
    const full = await until(job, 'the asyncMap to fill', (m) => enrich(m).inFlight === CAPACITY);
    assert.equal(enrich(full).capacity, CAPACITY);
    assert.equal(full.operators.find((o) => o.operator === 'gen')!.capacity, undefined, 'only async operators have a capacity');
    // Every request waits for the marker file: the task can do nothing but wait on them.
    const waited = await until(job, 'async wait time', (m) => m.tasks[0]!.asyncWaitMs >= 300);
    const prom = await jobRegistry(job, 'async-saturated').registry.metrics();
    assert.match(prom, new RegExp(`sluice_operator_async_in_flight\\{[^}]*operator="enrich"[^}]*\\} ${CAPACITY}\\n`));
    assert.match(prom, new RegExp(`sluice_operator_async_capacity\\{[^}]*operator="enrich"[^}]*\\} ${CAPACITY}\\n`));
    assert.match(prom, /sluice_task_async_wait_seconds_total\{[^}]*task="gen -> enrich -> out"[^}]*\} 0\.[3-9]|sluice_task_async_wait_seconds_total\{[^}]*task="gen -> enrich -> out"[^}]*\} [1-9]/);
    writeFileSync(join(dir, 'release'), '');
    const { metrics } = await h.result;
    h = undefined;
    const t = metrics.tasks[0]!;
    assert.ok(t.asyncWaitMs >= waited.tasks[0]!.asyncWaitMs, `async wait ${t.asyncWaitMs} ms`);
    assert.ok(t.idleMs < t.asyncWaitMs, `idle ${t.idleMs} ms, async wait ${t.asyncWaitMs} ms: the wait is not idle time`);
    assert.equal(enrich(metrics).inFlight, 0, 'nothing in flight once the job has ended');
    assert.equal(enrich(metrics).recordsOut, 1000);
  } finally {
    // A failed assertion leaves the requests waiting: release them and stop the job, or it never ends.
    writeFileSync(join(dir, 'release'), '');
    await h?.cancel().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: latency markers skipped the asyncMap: with every request taking 40 ms the job's p50 read ~1 ms.
for (const exchange of [false, true]) {
  test(`latency markers wait in an asyncMap behind the records taken before them (${exchange ? 'behind an exchange' : 'chained to the source'})`, async () => {
    const DELAY = 40;
    const n = exchange ? 300 : 600;
    const h = await run(new URL(`./jobs/async-latency.ts?n=${n}&delay=${DELAY}&capacity=20&exchange=${exchange ? '1&rate=250' : '0'}`, import.meta.url), { parallelism: 1, latencyTrackingIntervalMs: 10 });
    const { metrics } = await h.result;
    const sink = metrics.tasks.find((t) => t.latency !== null);
    assert.ok(sink !== undefined, `some sink saw markers: ${JSON.stringify(metrics.tasks)}`);
    // A marker taken while requests are in flight leaves after the newest of them, which takes DELAY ms.
    assert.ok(sink.latency!.p50Ms >= DELAY / 2, `p50 ${sink.latency!.p50Ms} ms with every request taking ${DELAY} ms`);
    assert.equal(metrics.operators.find((o) => o.operator === 'out')!.recordsIn, n);
  });
}

// Regression: a paced source chained to a full asyncMap, with latency tracking on, stalled for good: its marker was
// due, so each park's re-check said it could progress, but its step emitted markers only once the asyncMap had room;
// the loop spun without an event-loop turn and no request ever settled (3 runs in 3).
test('a paced source chained to a full asyncMap sends its due latency markers into it, and the job ends', async () => {
  const h = await run(new URL('./jobs/async-latency.ts?n=300&rate=250&delay=40&capacity=20&exchange=0', import.meta.url), { parallelism: 1, latencyTrackingIntervalMs: 10 });
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<'stalled'>((resolve) => { timer = setTimeout(() => resolve('stalled'), 60_000); });
  const outcome = await Promise.race([h.result.then(() => 'done' as const), stalled]);
  clearTimeout(timer);
  const through = h.metrics().operators.find((o) => o.operator === 'enrich')!.recordsOut;
  if (outcome === 'stalled') await h.cancel();
  assert.equal(outcome, 'done', `the job stopped with ${through} of 300 records through the asyncMap`);
  const { metrics } = await h.result;
  assert.ok(metrics.tasks[0]!.latency!.p50Ms >= 20, `p50 ${metrics.tasks[0]!.latency!.p50Ms} ms`);
});

// Regression: an asyncMap holds at most MAX_HELD_MARKERS latency markers behind a request, and the ones it dropped
// were counted nowhere: the sinks' latency read as if every marker had come.
test('latency markers an asyncMap drops behind a request that has not settled are counted in its task\'s metrics and in Prometheus', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-thinned-'));
  let h: JobHandle | undefined;
  try {
    // Every request waits for the marker file; the chained source, paced below the capacity, sends a marker each
    // millisecond of its two seconds into the asyncMap, where they wait behind the first.
    h = await run(new URL(`./jobs/async-saturated.ts?dir=${encodeURIComponent(dir)}&n=200&rate=100&capacity=1000`, import.meta.url), { parallelism: 1, latencyTrackingIntervalMs: 1 });
    const job = h;
    const live = await until(job, 'markers dropped', (m) => m.tasks[0]!.latencyMarkersDropped > 0);
    const dropped = live.tasks[0]!.latencyMarkersDropped;
    const prom = await jobRegistry(job, 'async-thinned').registry.metrics();
    assert.match(prom, /# TYPE sluice_latency_markers_dropped_total counter/);
    const scraped = /sluice_latency_markers_dropped_total\{[^}]*task="gen -> enrich -> out"[^}]*\} (\d+)\n/.exec(prom);
    assert.ok(scraped !== null && Number(scraped[1]) >= dropped, prom);
    writeFileSync(join(dir, 'release'), '');
    const { metrics } = await h.result;
    h = undefined;
    const t = metrics.tasks[0]!;
    assert.ok(t.latencyMarkersDropped >= dropped, `${t.latencyMarkersDropped} dropped at the end, ${dropped} while it waited`);
    // Those kept reach the sink: a thinned wait still shows in the latency.
    assert.ok(t.latency !== null && t.latency.markers > 0, JSON.stringify(t));
  } finally {
    writeFileSync(join(dir, 'release'), '');
    await h?.cancel().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

// Regression: the markers an asyncMap still held when the job was cancelled were counted nowhere (its operators
// close after the thread's last metrics were written): the result read as if the sink had seen every marker sent.
test('latency markers an asyncMap holds when the job is cancelled are counted as dropped in its result', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-async-held-'));
  let h: JobHandle | undefined;
  try {
    // Every request waits for the marker file, written only at the end: the paced source's markers (one each 50 ms)
    // wait behind the first request, far fewer than the 64 past which the thinning drops any.
    h = await run(new URL(`./jobs/async-saturated.ts?dir=${encodeURIComponent(dir)}&n=1000&rate=100&capacity=1000`, import.meta.url), { parallelism: 1, latencyTrackingIntervalMs: 50 });
    const job = h;
    const enrich = (m: JobMetrics) => m.operators.find((o) => o.operator === 'enrich')!;
    // 20 records in flight: the source has run 200 ms at least, so markers have gone in behind the first.
    const live = await until(job, 'records in flight', (m) => (enrich(m).inFlight ?? 0) >= 20);
    const before = live.tasks[0]!.latencyMarkersDropped;
    const r = await job.cancel();
    h = undefined;
    assert.equal(r.cancelled, true);
    const t = r.metrics.tasks[0]!;
    assert.ok(t.latencyMarkersDropped > before, `${t.latencyMarkersDropped} dropped in the result, ${before} while it ran: the held ones are not counted`);
  } finally {
    writeFileSync(join(dir, 'release'), '');
    await h?.cancel().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});
