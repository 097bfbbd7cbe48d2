// A source of 0, 1, 2 for the sink-result jobs: then it ends (bounded), or waits for good so that the test cancels.
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceSpec } from '../../../../core/index.js';

export function threeNumbers(bounded: boolean): SourceSpec<number> {
  return {
    kind: 'numbers', fingerprint: 'numbers', bounded, rewindable: false, maxParallelism: 1,
    enumerateSplits: () => [{ id: 's', position: 0 }],
    createReader() {
      let next = 0;
      return {
        read(emit) {
          if (next < 3) { emit(next++); return SOURCE_MORE; }
          return bounded ? SOURCE_END : SOURCE_WAIT;
        },
        ready: () => new Promise((r) => setTimeout(r, 5)),
        snapshot: () => [],
      };
    },
  };
}
