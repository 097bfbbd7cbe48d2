// Runs on: main thread (spec) and the worker thread of each sink subtask (writer).

export interface SinkWriter<T> {
  write(value: T): void;
  /** End of stream: returns what goes back to the caller (collect) or undefined. */
  finish(): unknown;
}

export interface SinkSpec<T> {
  readonly kind: string;
  readonly fingerprint: string;
  createWriter(subtask: number, parallelism: number): SinkWriter<T>;
}

/** Every record back to the caller, in `result.collected[sinkName]` (for tests and embedding; bounded jobs). */
export function collectSink<T>(): SinkSpec<T> {
  return {
    kind: 'collect',
    fingerprint: 'collect',
    createWriter() {
      const items: T[] = [];
      return { write: (v) => { items.push(v); }, finish: () => items };
    },
  };
}

/** Prints each record as a line on stdout, prefixed by the subtask when parallel. */
export function printSink<T>(format: (value: T) => string = (v) => (typeof v === 'string' ? v : JSON.stringify(v))): SinkSpec<T> {
  return {
    kind: 'print',
    fingerprint: 'print',
    createWriter(subtask, parallelism) {
      const prefix = parallelism > 1 ? `${subtask + 1}> ` : '';
      return { write: (v) => { process.stdout.write(`${prefix}${format(v)}\n`); }, finish: () => undefined };
    },
  };
}

/** Drops every record (counted in the metrics): for benchmarks. */
export function discardSink<T>(): SinkSpec<T> {
  return { kind: 'discard', fingerprint: 'discard', createWriter: () => ({ write() {}, finish: () => undefined }) };
}
