// Runs on: main thread (spec) and the worker thread of each sink subtask (writer). The print sink: a line on
// stdout per record.

import type { SinkSpec } from './sink.js';

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
