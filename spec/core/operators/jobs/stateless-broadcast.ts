// A plain broadcast process function over `rules.broadcast()` (no descriptor, so no broadcast state): every
// instance keeps the rules it is sent in its own state (snapshotState), with the readings it holds until the
// watermark passes them; each reading is then judged by the newest rule at or before its time. The rules before a
// restore are only in the restored own state (the rules source goes on after them), so a wrong restore shows as
// a wrong verdict.
//   ?n=20000&m=100&rate=20000&bound=200&interval=30&failAt=i,j&marker=/path
// failAt: reading indices at which the worker thread exits (process.exit), each once (marker files remember).
import { existsSync, writeFileSync } from 'node:fs';
import { defineJob, generatorSource, WatermarkStrategy, type BroadcastProcessFunction, type Collector } from '../../../../core/index.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 20_000);
const m = Number(q.get('m') ?? 100);
const rate = Number(q.get('rate') ?? 0);
const bound = Number(q.get('bound') ?? 200);
const interval = Number(q.get('interval') ?? 0);
const failAt = (q.get('failAt') ?? '').split(',').filter((x) => x !== '').map(Number);
const marker = q.get('marker') ?? '';

export interface Reading { i: number; ts: number; value: number }
export interface Rule { j: number; ts: number; limit: number }
/** A judged reading ('r': over the rule's limit or not, -1 before any rule) or what an instance restored ('restored': how many rules). */
export interface Out { kind: 'r' | 'restored'; id: number; over: number; sub: number }

export const reading = (i: number): Reading => ({ i, ts: i, value: (i * 37) % 100 });
export const rule = (j: number, readings: number, rules: number): Rule => ({ j, ts: Math.floor((j * readings) / rules), limit: (j * 53) % 100 });

/** The verdict on reading `r` under `rules`: 1 over the newest rule at or before it, 0 not, -1 no rule yet. */
export function verdict(r: Reading, rules: readonly Rule[]): number {
  let newest: Rule | undefined;
  for (const x of rules) if (x.ts <= r.ts && (newest === undefined || x.ts > newest.ts || (x.ts === newest.ts && x.j > newest.j))) newest = x;
  return newest === undefined ? -1 : r.value > newest.limit ? 1 : 0;
}

class JudgeByRules implements BroadcastProcessFunction<Reading, Rule, Out> {
  private rules!: Rule[];
  private held!: Reading[];
  private restored = -1;

  open(): void {
    if (!Object.hasOwn(this, 'rules')) { this.rules = []; this.held = []; }
  }

  processElement(r: Reading): void {
    this.held.push(r);
  }

  processBroadcastElement(x: Rule): void {
    this.rules.push(x);
  }

  onWatermark(wm: number, ctx: { subtask: number }, out: Collector<Out>): void {
    if (this.restored >= 0) {
      out.collect({ kind: 'restored', id: this.restored, over: 0, sub: ctx.subtask });
      this.restored = -1;
    }
    const keep: Reading[] = [];
    for (const r of this.held) {
      if (r.ts <= wm) out.collect({ kind: 'r', id: r.i, over: verdict(r, this.rules), sub: ctx.subtask });
      else keep.push(r);
    }
    this.held = keep;
  }

  snapshotState(): unknown {
    return { rules: this.rules, held: this.held };
  }

  restoreState(states: readonly unknown[], ctx: { subtask: number }): void {
    // The same parallelism: each instance takes its own (a readings split goes back to the same subtask).
    const own = (states[ctx.subtask] ?? { rules: [], held: [] }) as { rules: Rule[]; held: Reading[] };
    this.rules = own.rules;
    this.held = own.held;
    this.restored = own.rules.length;
  }
}

export default defineJob((env) => {
  if (interval > 0) env.enableCheckpointing(interval);
  const rules = env.fromSource(generatorSource({ count: m, seed: 5, ratePerSec: 100 }, (j) => rule(j, n, m)), 'rules')
    .name('rules').uid('rules').setParallelism(1)
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<Rule>().withTimestampAssigner((x) => x.ts)).name('rule-times').uid('rule-times').setParallelism(1)
    .broadcast();
  const readings = env.fromSource(generatorSource({ count: n, seed: 3, ...(rate > 0 ? { ratePerSec: rate } : {}) }, reading), 'readings')
    .name('readings').uid('readings')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forBoundedOutOfOrderness<Reading>(bound).withTimestampAssigner((r) => r.ts)).name('times').uid('times')
    .map((r) => {
      if (failAt.includes(r.i) && marker !== '' && !existsSync(`${marker}.${r.i}`)) {
        writeFileSync(`${marker}.${r.i}`, 'failed once');
        process.exit(3);
      }
      return r;
    }).name('inject').uid('inject');
  readings.connect(rules).process<Out>(new JudgeByRules()).name('judge').uid('judge').collect().name('out').uid('out');
});
