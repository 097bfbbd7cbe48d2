// A job whose reader says a warning as the run ends (its close, after the last record): the last thing a thread
// posts before its result. Two subtasks, so two threads' results race their warnings.
import { defineJob } from '../../../../core/index.js';
import { SOURCE_END, SOURCE_MORE, type SourceSpec } from '../../../../core/connectors/source.js';

const warnsAtEnd: SourceSpec<number> = {
  kind: 'warns-at-end',
  fingerprint: 'warns-at-end',
  maxParallelism: 2,
  bounded: true,
  rewindable: false,
  enumerateSplits: (p) => Array.from({ length: p }, (_, s) => ({ id: String(s), position: 0 })),
  createReader(subtask, _parallelism, _splits, context) {
    let done = false;
    return {
      read(emit) {
        if (done) return SOURCE_END;
        emit(subtask);
        done = true;
        return SOURCE_MORE;
      },
      ready: () => Promise.resolve(),
      snapshot: () => [],
      close() { context?.warn(`subtask ${subtask} closed`); },
    };
  },
};

export default defineJob((env) => {
  env.fromSource(warnsAtEnd).name('warns').setParallelism(2).collect().name('out');
});
