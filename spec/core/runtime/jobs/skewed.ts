// A job for handle.output(): a source whose subtask 0 emits ?small= records (0, 1, ...) and ends, and whose subtask 1
// emits 1e9, 1e9 + 1, ... forever at ?rate= records per second, chained at parallelism 2 into the collect sink 'out'.
// Event time, so a task's watermark reaches the end's once its input has ended (the tests watch for that).
import { defineJob, WatermarkStrategy } from '../../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceSpec } from '../../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const small = Number(q.get('small') ?? 5000);
const rate = Number(q.get('rate') ?? 20_000);

const skewed: SourceSpec<number> = {
  kind: 'skewed',
  fingerprint: `skewed(${small},${rate})`,
  maxParallelism: 2,
  bounded: false,
  rewindable: false,
  enumerateSplits: (p) => Array.from({ length: p }, (_, s) => ({ id: String(s), position: 0 })),
  createReader(subtask) {
    let next = 0;
    const startedAt = performance.now();
    return {
      read(emit, max) {
        if (subtask === 0) {
          if (next >= small) return SOURCE_END;
          for (let k = 0; k < max && next < small; k++) emit(next++);
          return SOURCE_MORE;
        }
        const due = Math.floor(((performance.now() - startedAt) * rate) / 1000);
        if (next >= due) return SOURCE_WAIT;
        for (let k = 0; k < max && next < due; k++) emit(1e9 + next++);
        return SOURCE_MORE;
      },
      ready: () => new Promise((r) => setTimeout(r, 1)),
      readyAt: () => startedAt + ((next + 1) * 1000) / rate,
      snapshot: () => [],
    };
  },
};

export default defineJob((env) => {
  env.fromSource(skewed).name('skewed').uid('skewed')
    .assignTimestampsAndWatermarks(WatermarkStrategy.forMonotonousTimestamps<number>().withTimestampAssigner((x) => x % 1e9))
    .collect().name('out').uid('out');
});
