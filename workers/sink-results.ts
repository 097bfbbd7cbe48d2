// Runs on: a worker thread. Sink results, on the thread's port to the main thread (core/runtime/sink-result-ports.ts):
// what a sink's `finish` or `stopped` returned goes to the main thread as the thread has it. The post is the
// check: one that postMessage refuses (a function, a symbol, a WeakMap in it) is reported as the failure of that
// sink's hook, not as the thread dying with no word of the sink when piscina posts the thread's result, and one it
// takes is serialized once (a structured clone to check first copied a collect sink's records once more).
// An array (a collect sink's records) goes in parts (core/operators/timed-parts.ts): the main thread deserializes
// one while this thread serializes the next, where one post of 3 M records had the main thread wait for all of it,
// then take it in while this thread waited (a cancel's handover took the sum of both).

import type { MessagePort } from 'node:worker_threads';
import { OperatorError } from '../core/api/errors.js';
import { FIRST_PART, timedParts } from '../core/operators/timed-parts.js';
import type { SinkResult, SinkResultMessage } from './assignment.js';

export class SinkResultLink {
  /** Messages posted so far; the thread's result carries the count, and the main thread waits for that many. */
  posted = 0;

  constructor(private readonly port: MessagePort) {}

  /**
   * Posts a sink subtask's result; the error to fail the subtask with when it cannot be sent (else undefined).
   * `sent` is called after each message posted (a cancel's handover shows its grace period it moves).
   */
  post(m: SinkResult, sink: string, hook: 'finish' | 'stopped', sent?: () => void): OperatorError | undefined {
    const r = m.result;
    if (!Array.isArray(r) || r.length <= FIRST_PART) return this.send(m, sink, hook, sent);
    let done = 0;
    for (const part of timedParts(r as unknown[])) {
      const more = done + part.length < r.length;
      const e = this.send({ node: m.node, subtask: m.subtask, result: part, ...(more ? { more } : {}) }, sink, hook, sent);
      if (e !== undefined) {
        // The parts posted so far are let go: the result is all or nothing, as one post was.
        if (done > 0) this.send({ node: m.node, subtask: m.subtask, result: undefined, dropped: true }, sink, hook);
        return e;
      }
      done += part.length;
    }
    return undefined;
  }

  private send(m: SinkResult, sink: string, hook: 'finish' | 'stopped', sent?: () => void): OperatorError | undefined {
    try {
      const wire: SinkResultMessage = { type: 'sink-result', ...m };
      this.port.postMessage(wire);
    } catch (c) {
      if (!(c instanceof Error) || c.name !== 'DataCloneError') throw c;
      return new OperatorError(sink, m.subtask, new Error(
        `what it returned cannot be sent to the main thread: ${c.message} (what a sink's finish and stopped return, a collect sink's records included, must be structured-cloneable: no functions, symbols or WeakMaps)`,
        { cause: c },
      ), hook);
    }
    this.posted++;
    sent?.();
    return undefined;
  }
}
