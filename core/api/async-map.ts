// Runs on: main thread and every worker thread (part of the job definition).
//
// The options of `stream.asyncMap(fn, options)` (async I/O, core/operators/async-operator.ts), checked while the
// job module builds its graph, so a bad option fails before any thread starts.

import { afterOperators, JobDefinitionError } from './errors.js';
import { AsyncIo } from '../operators/async-io.js';
import { checkKnownOptions } from './known-options.js';

/** The async function of `asyncMap`: the input and an AbortSignal (aborted on timeout, retry or job stop). */
export type AsyncMapFunction<I, R> = (value: I, signal: AbortSignal) => Promise<R>;

export interface AsyncMapOptions<I, R> {
  /** Results in input order (default true) or as they complete. */
  ordered?: boolean;
  /** Requests in flight at most (default 100); the bound that backpressures the input. */
  capacity?: number;
  /** Per attempt, ms; the attempt's signal is aborted when it expires. Default: no timeout. */
  timeoutMs?: number;
  /** Attempts after the first, after a timeout or a rejection. Default 0. */
  retries?: number;
  /** Wait before a retry, ms. Default 0. */
  retryDelayMs?: number;
  /**
   * A request still timing out after its retries: 'error' (default) is a failure like a rejection, handled by
   * the operator's error policy (`.onError(...)`: fail the job, drop, dead-letter); 'drop' skips the input
   * (counted as dropped); `{ fallback }` emits a result made from the input instead.
   */
  onTimeout?: 'error' | 'drop' | { fallback: (value: I, error: Error) => R };
}

/** What of the options must be identical on every thread. */
export function asyncMapFingerprint(o: AsyncMapOptions<unknown, unknown>): string {
  const t = o.onTimeout;
  return `async(ordered=${o.ordered ?? true},capacity=${o.capacity ?? 100},timeoutMs=${o.timeoutMs ?? 'none'},retries=${o.retries ?? 0},retryDelayMs=${o.retryDelayMs ?? 0},onTimeout=${typeof t === 'object' ? 'fallback' : t ?? 'error'})`;
}

const OPTION_NAMES = Object.keys({ ordered: true, capacity: true, timeoutMs: true, retries: true, retryDelayMs: true, onTimeout: true } satisfies Record<keyof AsyncMapOptions<unknown, unknown>, true>);

/** Refuses bad options when the job is built; messages name the operator the asyncMap follows. */
export function checkAsyncMapOptions(o: AsyncMapOptions<unknown, unknown>, after: string): void {
  const what = `asyncMap${afterOperators(after)}`;
  if (o === null || typeof o !== 'object') throw new JobDefinitionError(`${what}: options must be an object`);
  checkKnownOptions(o, OPTION_NAMES, what);
  if (o.ordered !== undefined && typeof o.ordered !== 'boolean') throw new JobDefinitionError(`${what}: ordered must be true or false, got ${JSON.stringify(o.ordered)}`);
  const t = o.onTimeout;
  if (t !== undefined && t !== 'error' && t !== 'drop' && typeof (t as { fallback?: unknown })?.fallback !== 'function') {
    throw new JobDefinitionError(`${what}: onTimeout must be 'error', 'drop' or { fallback: (value, error) => result }, got ${JSON.stringify(t)}`);
  }
  // The core checks the numbers; building one here reports a bad option before any thread starts.
  const { capacity, timeoutMs, retries, retryDelayMs } = o;
  try {
    new AsyncIo(async () => undefined, { capacity, timeoutMs, retries, retryDelayMs }, what).close();
  } catch (e) {
    throw new JobDefinitionError((e as Error).message);
  }
}

