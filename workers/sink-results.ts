// Runs on: a worker thread. The thread's end of its port for sink results (core/runtime/sink-result-ports.ts):
// what a sink's `finish` or `stopped` returned goes to the main thread as the thread has it. The post is the
// check: one that postMessage refuses (a function, a symbol, a WeakMap in it) is reported as the failure of that
// sink's hook, not as the thread dying with no word of the sink when piscina posts the thread's result, and one it
// takes is serialized once (a structured clone to check first copied a collect sink's records once more).

import type { MessagePort } from 'node:worker_threads';
import { OperatorError } from '../core/api/errors.js';
import type { SinkResult } from './assignment.js';

export class SinkResultLink {
  /** Results posted so far; the thread's result carries the count, and the main thread waits for that many. */
  posted = 0;

  constructor(private readonly port: MessagePort) {}

  /** Posts a sink subtask's result; the error to fail the subtask with when it cannot be sent (else undefined). */
  post(m: SinkResult, sink: string, hook: 'finish' | 'stopped'): OperatorError | undefined {
    try {
      this.port.postMessage(m);
    } catch (c) {
      if (!(c instanceof Error) || c.name !== 'DataCloneError') throw c;
      return new OperatorError(sink, m.subtask, new Error(
        `what it returned cannot be sent to the main thread: ${c.message} (what a sink's finish and stopped return, a collect sink's records included, must be structured-cloneable: no functions, symbols or WeakMaps)`,
        { cause: c },
      ), hook);
    }
    this.posted++;
    return undefined;
  }
}
