// Runs on: main thread (spec) and the worker thread of the source subtask (reader).
// A source over an async iterable that the job module creates on the worker. Not splittable (parallelism 1).
// An iterator cannot be rewound: a restored reader calls the factory again and skips as many records as the
// source had emitted at the checkpoint. Exactly-once for a factory that yields the same records each time (a
// generator over data); a live feed's new iterator loses that many. Calling it again without skipping would put every
// record emitted before the checkpoint into the job a second time.

import { JobDefinitionError } from '../api/errors.js';
import { SOURCE_END, SOURCE_MORE, SOURCE_WAIT, type SourceSpec } from './source.js';
import { ConnectorOptionError } from './errors.js';

export function asyncIterableSource<T>(factory: () => AsyncIterable<T> | Iterable<T>, name = 'async-iterable'): SourceSpec<T> {
  if (typeof factory !== 'function') throw new JobDefinitionError('fromAsyncIterable: expected a function returning an async iterable');
  return {
    kind: 'async-iterable',
    fingerprint: `async-iterable(${name})`,
    maxParallelism: 1,
    bounded: true,
    rewindable: false,
    restartNote: 'after a restart or resume its factory is called again and the records it had emitted by the checkpoint are skipped: exactly-once only if the factory yields the same records each time',
    enumerateSplits: () => [{ id: name, position: 0 }],
    createReader(_subtask, _parallelism, splits) {
      if (splits.length === 0) return { read: () => SOURCE_END, ready: () => Promise.resolve(), snapshot: (_checkpointId: number) => [] };
      const from = splits[0]!.position;
      if (!Number.isSafeInteger(from) || (from as number) < 0) throw new ConnectorOptionError(`not a position of an async iterable source: ${JSON.stringify(from)} (expected the count of records it had emitted)`);
      /** Records still to skip: the ones emitted before the checkpoint this reader resumes from. */
      let skip = from as number;
      // Made at the first read, not here: what the factory throws (or a wrong return) then fails the read, which
      // names the source's operator and subtask (not a plain Error from the task host's set-up).
      let it: AsyncIterator<T> | Iterator<T> | undefined;
      const open = (): AsyncIterator<T> | Iterator<T> => {
        const src: unknown = factory();
        const x = src as Partial<AsyncIterable<T> & Iterable<T>> | null;
        if (typeof x?.[Symbol.asyncIterator] === 'function') return x[Symbol.asyncIterator]!();
        if (typeof x?.[Symbol.iterator] === 'function') return x[Symbol.iterator]!();
        throw new TypeError(`fromAsyncIterable: the factory returned ${src === null ? 'null' : typeof src === 'object' ? 'an object that is not iterable' : `a ${typeof src}`}, not an async iterable or an iterable`);
      };
      let pending: Promise<void> | undefined;
      const buffer: T[] = [];
      let done = false;
      let failure: unknown;
      let consumed = skip;
      const pull = (): void => {
        // One settlement per record kept (or the end, or a failure): skipped records do not each wake the thread.
        pending = (async () => {
          try {
            for (;;) {
              const r = await (it ??= open()).next();
              if (r.done) { done = true; break; }
              if (skip > 0) { skip--; continue; }
              buffer.push(r.value);
              break;
            }
          } catch (e) {
            failure = e ?? new Error('async iterable rejected');
          }
          pending = undefined;
        })();
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
        // Records emitted so far, over every attempt: where a restored reader starts emitting.
        snapshot: (_checkpointId: number) => [{ id: name, position: consumed }],
        async close() {
          if (it === undefined) return;
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
