// Runs on: main thread (spec) and the worker thread of each sink subtask (writer). The discard sink.

import type { SinkSpec } from './sink.js';

/** Drops every record (counted in the metrics): for benchmarks. */
export function discardSink<T>(): SinkSpec<T> {
  return { kind: 'discard', fingerprint: 'discard', createWriter: () => ({ write() {}, finish: () => undefined }) };
}
