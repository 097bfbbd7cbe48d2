// An unbounded source whose notifyCheckpointComplete throws (?how=throw) or rejects (?how=reject) at the first
// completed checkpoint.
import { defineJob, SOURCE_MORE, type SourceSpec } from '../../../../core/index.js';

const how = new URL(import.meta.url).searchParams.get('how');

const acking: SourceSpec<number> = {
  kind: 'acking', fingerprint: 'acking', bounded: false, rewindable: true, maxParallelism: 1,
  enumerateSplits: () => [{ id: 's', position: 0 }],
  createReader(_subtask, _parallelism, splits) {
    let i = splits[0]?.position as number ?? 0;
    return {
      read(emit, max) { for (let k = 0; k < Math.min(max, 10); k++) emit(i++); return SOURCE_MORE; },
      ready: () => Promise.resolve(),
      snapshot: () => [{ id: 's', position: i }],
      notifyCheckpointComplete: () => {
        if (how === 'throw') throw new Error('ack failed');
        return Promise.reject(new Error('ack failed'));
      },
    };
  },
};

export default defineJob((env) => {
  env.fromSource(acking).name('acking').discard().name('out');
});
