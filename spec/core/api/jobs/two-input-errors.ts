// A job for the two-input error-policy tests: numbers 0..N-1 on two inputs of a keyed co-process, a plain
// broadcast process and an interval join, each throwing on the multiples of 10 of one input; and a window join
// whose function throws on pairs of multiples of 10. Every operator has the policy the URL names (?policy=...).
import { DEAD_LETTERS, MapStateDescriptor, TumblingEventTimeWindows, WatermarkStrategy, defineJob, type ErrorPolicy } from '../../../../core/index.js';

export const N = 200;
const policy = (new URL(import.meta.url).searchParams.get('policy') ?? 'fail') as ErrorPolicy;

export function check(n: number, side: string): number {
  if (n % 10 === 0) throw new Error(`${side} ${n}`);
  return n;
}

export default defineJob((env) => {
  const times = WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((n) => n);
  const a = env.fromCollection(Array.from({ length: N }, (_, i) => i)).name('a').assignTimestampsAndWatermarks(times).name('a-times');
  const b = env.fromCollection(Array.from({ length: N }, (_, i) => i)).name('b').assignTimestampsAndWatermarks(times).name('b-times');
  const D = new MapStateDescriptor<number, number>('seen');
  const ops = [
    // Throws on input 1's multiples of 10.
    a.connect(b).keyBy((n) => n % 7, (n) => n % 7).map<string>({ map1: (n) => `1:${check(n, 'first')}`, map2: (n) => `2:${n}` }).name('co'),
    // Throws on the broadcast input's multiples of 10 (input 2).
    a.connect(b.broadcast(D)).process<string>({
      processElement(n, _c, out) { out.collect(`e:${n}`); },
      processBroadcastElement(n, ctx) { ctx.getBroadcastState(D).put(check(n, 'broadcast'), n); },
    }).name('bc'),
    // Pairs equal numbers; throws when the right one is a multiple of 10, so the right record is rejected.
    a.keyBy((n) => n).intervalJoin(b.keyBy((n) => n)).between(0, 0).process<string>((l, r, _c, out) => { out.collect(`${l}=${check(r, 'right')}`); }).name('ij'),
    a.join(b).where((n) => n).equalTo((n) => n).window(TumblingEventTimeWindows.of(5)).apply((l, r) => `${l}~${check(r, 'pair')}`).name('wj'),
  ];
  for (const op of ops) {
    op.onError(policy).collect().name(`${op.node.name}-out`);
    if (policy === 'dead-letter') op.getSideOutput(DEAD_LETTERS).collect().name(`${op.node.name}-dead`);
  }
});
