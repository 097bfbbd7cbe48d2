import { EventTimeSessionWindows, TumblingEventTimeWindows } from '../core/index.js';
import { harness } from './core/windows/harness.js';
import { allEvents } from './core/windows/jobs/events.js';
const evs = allEvents({ seed: 1, n: 200000, keys: 4, step: 1, bound: 10, burstMs: 60 });
for (const kind of ['session', 'tumbling']) {
  const h = harness((e: any) => e.key, (s) => s.window(kind === 'session' ? EventTimeSessionWindows.withGap(15) : TumblingEventTimeWindows.of(50)).aggregate({
    createAccumulator: () => ({ n: 0, s: 0 }), add: (e: any, a: any) => ({ n: a.n + 1, s: a.s + e.v }), getResult: (a: any) => a, merge: (a: any, b: any) => ({ n: a.n + b.n, s: a.s + b.s }),
  }));
  const t0 = performance.now();
  let i = 0;
  for (const e of evs) { h.push(e, e.ts); if (++i % 100 === 0) h.watermark(e.ts - 11); }
  h.finish();
  console.log(kind, Math.round(performance.now() - t0), 'ms', h.out.records.length);
}
