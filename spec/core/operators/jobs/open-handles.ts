// State handles kept on `this` in open(), as Flink's open() keeps them, with two subtasks of each operator on one
// thread: ?kind=process|co-map|broadcast (timer-in-open: open() registers a timer, state-in-open: open() writes state, which it may not). Counts per key (keys 0..9, 300 records each); the last record of each key
// emits the key's count as its handle read it.
import { defineJob, MapStateDescriptor, type KeyedBroadcastProcessFunction, type KeyedCoMapFunction, type KeyedProcessHandler, type ValueState } from '../../../../core/index.js';

const kind = new URL(import.meta.url).searchParams.get('kind');
export interface E { k: number; i: number }
export const N = 3000;
const RULES = new MapStateDescriptor<string, number>('rules');

export default defineJob((env) => {
  const src = env.fromGenerator({ count: N, seed: 1 }, (i) => ({ k: i % 10, i })).name('src').setParallelism(1);
  const count = (self: { cnt?: ValueState<number> }, e: E): number | undefined => {
    const c = self.cnt!;
    c.update((c.value() ?? 0) + 1);
    return e.i >= N - 10 ? c.value() : undefined;
  };
  if (kind === 'state-in-open') {
    const h: KeyedProcessHandler<number, E, number> & { cnt?: ValueState<number> } = {
      open(ctx) { this.cnt = ctx.state<number>('cnt'); this.cnt.update(0); },
      processElement(e, _ctx, out) { out.collect(e.i); },
    };
    src.keyBy((e) => e.k).process(h).name('counts').onError('drop').collect().name('out');
  } else if (kind === 'timer-in-open') {
    const h: KeyedProcessHandler<number, E, number> = {
      open(ctx) { ctx.timerService.registerEventTimeTimer(5); },
      processElement(e, _ctx, out) { out.collect(e.i); },
    };
    src.keyBy((e) => e.k).process(h).name('counts').onError('drop').collect().name('out');
  } else if (kind === 'process') {
    const h: KeyedProcessHandler<number, E, [number, number]> & { cnt?: ValueState<number> } = {
      open(ctx) { this.cnt = ctx.state<number>('cnt'); },
      processElement(e, ctx, out) { const n = count(this, e); if (n !== undefined) out.collect([ctx.key, n]); },
    };
    src.keyBy((e) => e.k).process(h).name('counts').collect().name('out');
  } else if (kind === 'co-map') {
    const h: KeyedCoMapFunction<number, E, E, [number, number]> & { cnt?: ValueState<number> } = {
      open(ctx) { this.cnt = ctx.state<number>('cnt'); },
      map1(e, ctx) { const n = count(this, e); return [ctx.key, n ?? -1]; },
      map2(e, ctx) { return [ctx.key, -1 - e.i]; },
    };
    const none = env.fromCollection<E>([]).name('none').setParallelism(1);
    src.connect(none).keyBy((e) => e.k, (e) => e.k).map(h).name('counts').filter((r) => r[1] >= 0 && r[1] % 300 === 0).name('last').collect().name('out');
  } else {
    const rules = env.fromCollection(['r']).name('rules').setParallelism(1).broadcast(RULES);
    const h: KeyedBroadcastProcessFunction<number, E, string, [number, number]> & { cnt?: ValueState<number> } = {
      open(ctx) { this.cnt = ctx.state<number>('cnt'); },
      processElement(e, ctx, out) { const n = count(this, e); if (n !== undefined) out.collect([ctx.key, n]); },
      processBroadcastElement(r, ctx) { ctx.getBroadcastState(RULES).put(r, 1); },
    };
    src.keyBy((e) => e.k).connect(rules).process(h).name('counts').collect().name('out');
  }
});
