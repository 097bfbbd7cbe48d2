// Flink's CoMap / CoFlatMap on connected streams, unkeyed and keyed, at the run's parallelism.
// Numbers 0..N-1 and strings 'w0'..'w(N-1)' are connected; keyed by n % KEYS on both sides.
import { defineJob, type CoMapFunction } from '../../../../core/index.js';

export const N = 2000;
export const KEYS = 7;

/** As a Flink job would write it: a class whose methods use `this`. */
class Prefixed implements CoMapFunction<number, string, string> {
  constructor(private readonly prefix: string) {}
  map1(n: number): string { return `${this.prefix}${n}`; }
  map2(w: string): string { return `${this.prefix}${w}`; }
}

export default defineJob((env) => {
  const nums = env.fromCollection(Array.from({ length: N }, (_, i) => i)).name('nums');
  const words = env.fromCollection(Array.from({ length: N }, (_, i) => `w${i}`)).name('words');
  // Two functions, and an object whose methods use `this`.
  nums.connect(words).map((n) => `n${n}`, (w) => w.toUpperCase()).name('co-map').collect().name('out-map');
  nums.connect(words).map(new Prefixed('#')).collect().name('out-map-object');
  // Outputs returned or emitted.
  nums.connect(words).flatMap<string>((n) => (n % 2 === 0 ? [`even ${n}`] : []), (w, out) => { if (w.endsWith('0')) out.collect(`tens ${w}`); })
    .collect().name('out-flat-map');
  // Keyed: one count per key over both inputs (shared state); each output is (key, count so far).
  nums.connect(words).keyBy((n) => n % KEYS, (w) => Number(w.slice(1)) % KEYS)
    .flatMap<[number, number]>({
      flatMap1(_n, out, ctx) { const c = ctx.state<number>('count'); c.update((c.value() ?? 0) + 1); out.collect([ctx.key, c.value()!]); },
      flatMap2(_w, _out, ctx) { const c = ctx.state<number>('count'); c.update((c.value() ?? 0) + 1); return [[ctx.key, c.value()!]]; },
    }).name('keyed-count').collect().name('out-keyed');
  nums.connect(words).keyBy((n) => n % KEYS, (w) => Number(w.slice(1)) % KEYS)
    .map<string>({ map1: (n, ctx) => `${ctx.key}:${n}`, map2: (w, ctx) => `${ctx.key}:${w}` })
    .collect().name('out-keyed-map');
});
