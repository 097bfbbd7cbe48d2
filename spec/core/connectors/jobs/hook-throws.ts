// A custom source and sink whose hooks named by ?hook=<name>[,<name>...] throw `hook <name> failed` (class
// HookFailure, with a plain field), for the specs of how a connector's user hooks fail a job.
import { defineJob, SOURCE_END, SOURCE_MORE, type SinkSpec, type SourceSpec } from '../../../../core/index.js';

const hooks = (new URL(import.meta.url).searchParams.get('hook') ?? '').split(',');

class HookFailure extends Error {
  readonly extra = 'kept';
  constructor(message: string) {
    super(message);
    this.name = 'HookFailure';
  }
}

function maybeThrow(name: string): void {
  if (hooks.includes(name)) throw new HookFailure(`hook ${name} failed`);
}

const numbers: SourceSpec<number> = {
  kind: 'hooked-numbers', fingerprint: 'hooked-numbers', bounded: true, rewindable: true, maxParallelism: 2,
  enumerateSplits: (p) => { maybeThrow('enumerateSplits'); return Array.from({ length: p }, (_, i) => ({ id: `s${i}`, position: { next: i * 10, end: i * 10 + 10 } })); },
  ownerOf: (split) => { maybeThrow('ownerOf'); return Number(split.id.slice(1)); },
  createReader(_subtask, _parallelism, splits) {
    maybeThrow('createReader');
    const todo = splits.map((s) => ({ id: s.id, ...(s.position as { next: number; end: number }) }));
    return {
      read(emit, max) {
        maybeThrow('read');
        const s = todo.find((t) => t.next < t.end);
        if (!s) return SOURCE_END;
        for (let k = 0; k < max && s.next < s.end; k++) emit(s.next++);
        return SOURCE_MORE;
      },
      ready: () => Promise.resolve(),
      snapshot: () => { maybeThrow('snapshot'); return todo.filter((t) => t.next < t.end).map(({ id, next, end }) => ({ id, position: { next, end } })); },
      notifyCheckpointComplete: () => { maybeThrow('notifyCheckpointComplete'); },
      close: () => { maybeThrow('close'); },
    };
  },
};

const sink: SinkSpec<number> = {
  kind: 'hooked-sink', fingerprint: 'hooked-sink',
  createWriter() {
    maybeThrow('createWriter');
    return { write: () => { maybeThrow('write'); }, finish: () => { maybeThrow('finish'); return undefined; }, abort: () => { maybeThrow('abort'); } };
  },
};

export default defineJob((env) => {
  env.fromSource(numbers).name('numbers').setParallelism(2).sink(sink).name('hooked-out');
});
