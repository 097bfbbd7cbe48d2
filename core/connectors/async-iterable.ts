// Runs on: main thread (spec) and the worker thread of the source subtask (reader).
// A source over an async iterable that the job module creates on the worker. Not splittable (parallelism 1).

import { JobDefinitionError } from '../api/errors.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceSpec } from './source.js';

export function asyncIterableSource<T>(factory: () => AsyncIterable<T> | Iterable<T>, name = 'async-iterable'): SourceSpec<T> {
  if (typeof factory !== 'function') throw new JobDefinitionError('fromAsyncIterable: expected a function returning an async iterable');
  return {
    kind: 'async-iterable',
    fingerprint: `async-iterable(${name})`,
    maxParallelism: 1,
    bounded: true,
    // An iterator cannot be rewound: a checkpointed job gets at-most-once input from it.
    rewindable: false,
    enumerateSplits: () => [{ id: name, position: 0 }],
    createReader(_subtask, _parallelism, splits) {
      if (splits.length === 0) return { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: (_checkpointId: number) => [] };
      const src = factory();
      const it: AsyncIterator<T> | Iterator<T> = Symbol.asyncIterator in src
        ? (src as AsyncIterable<T>)[Symbol.asyncIterator]()
        : (src as Iterable<T>)[Symbol.iterator]();
      let pending: Promise<void> | undefined;
      const buffer: T[] = [];
      let done = false;
      let failure: unknown;
      let consumed = 0;
      const pull = (): void => {
        pending = Promise.resolve(it.next()).then(
          (r) => { if (r.done) done = true; else buffer.push(r.value); pending = undefined; },
          (e: unknown) => { failure = e ?? new Error('async iterable rejected'); pending = undefined; },
        );
      };
      return {
        read(emit, max) {
          if (failure !== undefined) throw failure;
          let k = 0;
          while (k < max && buffer.length > 0) { emit(buffer.shift()!); k++; consumed++; }
          if (buffer.length === 0 && done) return SOURCE_END;
          if (!pending && !done) pull();
          return k > 0 ? SOURCE_MORE : SOURCE_WAIT;
        },
        ready: () => pending ?? Promise.resolve(),
        // Informational only: records emitted so far (the iterator cannot resume there).
        snapshot: (_checkpointId: number) => [{ id: name, position: consumed }],
        async close() {
          const closing = Promise.resolve(it.return?.());
          // An async generator waiting inside an `await` (a next() pending) runs return() only once that await
          // settles, maybe never: awaited, a cancel then took the whole stop grace period. Asked, not awaited.
          if (pending !== undefined) { closing.catch(() => {}); return; }
          await closing;
        },
      };
    },
  };
}
