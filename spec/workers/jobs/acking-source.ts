// A job whose source acknowledges upstream (a consumer group's kind) and takes `ackMs` to do it, as a round trip
// to a broker would. Its close writes `<dir>/closed-<subtask>.json`: how many acknowledgements had begun and how
// many had settled by then.
//   ?dir=/tmp/x&n=1000&ackMs=200
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineJob } from '../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, type SourceReader, type SourceSpec } from '../../../core/connectors/source.js';

const q = new URL(import.meta.url).searchParams;
const dir = q.get('dir')!;
const n = Number(q.get('n') ?? 1000);
const ackMs = Number(q.get('ackMs') ?? 200);

function acking(): SourceSpec<number> {
  return {
    kind: 'acking', fingerprint: `acking(n=${n})`, maxParallelism: 64, bounded: true, rewindable: false,
    enumerateSplits: (p) => Array.from({ length: p }, (_, s) => ({ id: String(s), position: 0 })),
    createReader(subtask): SourceReader<number> {
      let i = 0;
      let begun = 0;
      let settled = 0;
      return {
        read(emit, max) {
          if (i >= n) return SOURCE_END;
          const end = Math.min(n, i + max);
          while (i < end) emit(i++);
          return SOURCE_MORE;
        },
        ready: () => Promise.resolve(),
        snapshot: () => [{ id: String(subtask), position: i }],
        notifyCheckpointComplete() {
          begun++;
          return new Promise<void>((r) => setTimeout(() => { settled++; r(); }, ackMs));
        },
        close() {
          writeFileSync(join(dir, `closed-${subtask}.json`), JSON.stringify({ begun, settled, read: i }));
        },
      };
    },
  };
}

export default defineJob((env) => {
  env.fromSource(acking(), 'acking').collect().name('out');
});
