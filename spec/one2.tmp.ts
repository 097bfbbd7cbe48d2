import { run } from '../core/index.js';
const [p, n, wmi] = process.argv.slice(2).map(Number);
const t0 = performance.now();
const h = await run(new URL(`./core/windows/jobs/windowed.ts?n=${n}&b.n=${n! / 8}&b.step=8&burstMs=60&wmi=${wmi}`, import.meta.url), { parallelism: p, ringBytes: 64 * 1024 });
const t1 = performance.now();
const r = await h.result;
const t2 = performance.now();
console.log(`p=${p} n=${n}: run() ${Math.round(t1 - t0)} ms, result ${Math.round(t2 - t1)} ms, durationMs ${Math.round(r.metrics.durationMs)}`);
