// A job for the task loop's fine waits: one source of `n` records per subtask, each due 1/rate s after the one
// before, whose reader says both ways when its next record is due (`ready()` and `readyAt()`) and counts which
// one the runtime used. Each record carries the counts so far, so the sink sees them.
//   ?n=300&rate=20000
import { defineJob } from '../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceReader, type SourceSpec } from '../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const n = Number(q.get('n') ?? 300);
const rate = Number(q.get('rate') ?? 20_000);

export interface Paced { subtask: number; i: number; readyCalls: number; readyAtCalls: number }

function paced(): SourceSpec<Paced> {
  return {
    kind: 'due-time', fingerprint: `due-time(n=${n},rate=${rate})`, maxParallelism: 64, bounded: true, rewindable: false,
    enumerateSplits: (p) => Array.from({ length: p }, (_, s) => ({ id: String(s), position: 0 })),
    createReader(subtask): SourceReader<Paced> {
      let i = 0;
      let readyCalls = 0;
      let readyAtCalls = 0;
      // Each record is due a gap after the one before went out, so a reader waits between any two records
      // however late its thread started.
      let dueAt = -Infinity;
      return {
        read(emit, max) {
          if (i >= n) return SOURCE_END;
          const now = performance.now();
          if (dueAt > now || max === 0) return SOURCE_WAIT;
          emit({ subtask, i: i++, readyCalls, readyAtCalls });
          dueAt = now + 1000 / rate;
          return SOURCE_MORE;
        },
        ready() {
          readyCalls++;
          return new Promise((r) => setTimeout(r, Math.max(1, dueAt - performance.now())));
        },
        readyAt() {
          readyAtCalls++;
          return dueAt;
        },
        snapshot: () => [],
      };
    },
  };
}

export default defineJob((env) => {
  env.fromSource(paced(), 'paced').collect().name('out');
});
