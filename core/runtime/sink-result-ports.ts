// Runs on: main thread. What each thread's sinks returned from `finish` (or `stopped`, on a cancel): the
// `sink-result` messages on each thread's port (workers/sink-results.ts is the other end). A thread posts each result as it has it; the post is the check
// that it can be sent at all (one refused names its sink and hook), so a result is serialized once, where a
// structured clone first, to check, copied it all once more (a collect sink's records, at the end of a run).
//
// A thread's result (piscina's) comes on another channel and may arrive first: it counts the results it posted,
// and the attempt waits for that many before it takes them.

import type { MessagePort } from 'node:worker_threads';
import type { SinkResult, SinkResultMessage, ThreadResult } from '../../workers/assignment.js';

/**
 * How long the attempt waits for the next result a thread posted (they are in its port's queue already; each one
 * received restarts it, as one of millions of records takes seconds to deserialize).
 */
const RECEIVE_BOUND_MS = 10_000;

export class SinkResultPorts {
  private readonly received: SinkResult[][];
  private readonly listeners: ((m: { type?: unknown }) => void)[];
  /** Called when a result arrives, while the attempt waits for the last ones. */
  private onResult: (() => void) | undefined;

  /** `ports`: the main thread's end of each thread's port, by thread (the attempt's; other kinds pass by). */
  constructor(private readonly ports: readonly MessagePort[]) {
    this.received = ports.map(() => []);
    this.listeners = ports.map((port, thread) => {
      const listener = (m: { type?: unknown }): void => {
        if (m.type !== 'sink-result') return;
        this.received[thread]!.push(m as SinkResultMessage);
        this.onResult?.();
      };
      port.on('message', listener);
      return listener;
    });
  }

  /**
   * Resolves once every result the threads' results count has arrived. A thread that died or was terminated counts
   * none. Bounded (RECEIVE_BOUND_MS without one), and says what is missing if the bound is hit.
   */
  async allReceived(results: readonly ThreadResult[]): Promise<void> {
    const missing = (): string[] => results
      .filter((r) => (r.sinkResults ?? 0) > this.received[r.thread]!.length)
      .map((r) => `thread ${r.thread}: ${this.received[r.thread]!.length} of ${r.sinkResults}`);
    if (missing().length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        const arm = (): void => {
          clearTimeout(timer);
          timer = setTimeout(() => reject(new Error(`sink results did not all arrive: none came for ${RECEIVE_BOUND_MS} ms (${missing().join(', ')})`)), RECEIVE_BOUND_MS);
        };
        this.onResult = () => { if (missing().length === 0) resolve(); else arm(); };
        arm();
      });
    } finally {
      this.onResult = undefined;
      clearTimeout(timer);
    }
  }

  /**
   * The results a thread's result counts, in the order it posted them (none from a thread that counts none), an
   * array posted in parts joined again.
   */
  of(r: ThreadResult): SinkResult[] {
    const out: SinkResult[] = [];
    let parts: unknown[][] = [];
    for (const m of this.received[r.thread]!.slice(0, r.sinkResults ?? 0)) {
      if (m.more === true) { parts.push(m.result as unknown[]); continue; }
      if (m.dropped !== true) {
        const result = parts.length === 0 ? m.result : parts[0]!.concat(...parts.slice(1), m.result as unknown[]);
        out.push({ node: m.node, subtask: m.subtask, result });
      }
      parts = [];
    }
    return out;
  }

  /** Stops listening (the attempt closes the ports). */
  close(): void {
    this.ports.forEach((port, thread) => port.off('message', this.listeners[thread]!));
  }
}
