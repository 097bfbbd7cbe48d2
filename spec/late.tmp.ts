import { run } from '../core/index.js';
const t0 = performance.now();
const h = await run(new URL(`./core/windows/jobs/late.ts?${process.argv[2] ?? ''}`, import.meta.url), { parallelism: Number(process.argv[3] ?? 2), ringBytes: 64 * 1024 });
const timer = setInterval(() => { const m = h.metrics(); console.log(JSON.stringify(m.operators.map((o) => [o.operator, o.subtask, o.recordsIn, o.recordsOut]))); }, 3000);
const r = await h.result;
clearInterval(timer);
console.log(Math.round(performance.now() - t0), 'ms', Object.entries(r.collected).map(([k, v]) => `${k}:${(v as unknown[]).length}`));
