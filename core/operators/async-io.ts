// Runs on: the worker thread of the subtask that runs an async I/O operator.
//
// The logic of an async function operator (Flink's AsyncDataStream): each input starts a request
// `(value, signal) => Promise<R>`, up to `capacity` at once, and results come out in input order (ordered) or as
// they complete (unordered). The API never blocks: `push` starts a request, `poll` hands out finished results,
// `ready()` resolves when one finishes, and a full operator says so (`canAccept`) so the task stops feeding it.
// Timeouts and rejections are retried, then handled by a policy: fail the job, drop the input, or emit a
// fallback. For a checkpoint, `inFlight()` lists every input whose result is not out yet; a restore pushes them
// again, so no result is lost and none is emitted twice (the requests themselves may be repeated).

import { Wakeup } from '../connectors/wakeup.js';
import { shownValue } from '../api/shown-value.js';
import { isNumber } from '../api/number-option.js';

/** The longest delay setTimeout honours (2^31 - 1 ms, ~24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;

export type AsyncFunction<I, R> = (input: I, signal: AbortSignal) => Promise<R>;

/** What to do with an input whose request timed out or failed, once retries are used up. */
export type FailurePolicy<I, R> = 'fail' | 'drop' | { fallback: (input: I, error: Error) => R };

export interface AsyncIoOptions<I, R> {
  /** Results in input order (default) or as they complete. */
  ordered?: boolean;
  /** Inputs in flight or finished but not yet polled, at most. Default 100. */
  capacity?: number;
  /** Per attempt, ms; the attempt's signal is aborted when it expires. Default: no timeout. */
  timeoutMs?: number;
  /** Attempts after the first, on a timeout or a rejection. Default 0. */
  retries?: number;
  /** Wait before a retry, ms. Default 0. */
  retryDelayMs?: number;
  onTimeout?: FailurePolicy<I, R>;
  onError?: FailurePolicy<I, R>;
  /** Called whenever a request settles (the task's doorbell: a parked thread wakes to poll). */
  onSettle?: () => void;
  /**
   * All requests get one signal, aborted at close, instead of one per attempt (aborted at its timeout): for a
   * function that never looks at its signal. Default false.
   */
  sharedSignal?: boolean;
}

export type AsyncIoErrorCode = 'ASYNC_TIMEOUT' | 'ASYNC_FAILED' | 'ASYNC_FULL' | 'ASYNC_CLOSED' | 'INVALID_OPTION';

export class AsyncIoError extends Error {
  readonly code: AsyncIoErrorCode;
  constructor(code: AsyncIoErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AsyncIoError';
    this.code = code;
  }
}

export class AsyncIoTimeoutError extends AsyncIoError {
  constructor(operator: string, index: number, timeoutMs: number, attempts: number) {
    super('ASYNC_TIMEOUT', `${operator}: request for input #${index} timed out after ${timeoutMs} ms (${attempts} attempt${attempts === 1 ? '' : 's'})`);
    this.name = 'AsyncIoTimeoutError';
  }
}

export class AsyncIoRequestError extends AsyncIoError {
  constructor(operator: string, index: number, attempts: number, cause: unknown) {
    super('ASYNC_FAILED', `${operator}: request for input #${index} failed (${attempts} attempt${attempts === 1 ? '' : 's'}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'AsyncIoRequestError';
  }
}

const PENDING = 0;
const DONE = 1;
const DROPPED = 2;
const FAILED = 3;

interface Slot<I, R> {
  /** 0-based position in the input since this instance started: names the input in errors. */
  readonly index: number;
  readonly input: I;
  state: typeof PENDING | typeof DONE | typeof DROPPED | typeof FAILED;
  /** Attempts started. */
  attempt: number;
  /** The attempt whose completion counts; 0 while none does (abandoned, waiting to retry). */
  live: number;
  result: R | undefined;
  error: Error | undefined;
  timer: NodeJS.Timeout | undefined;
  /** The attempt's own; undefined when requests share the operator's signal (sharedSignal). */
  controller: AbortController | undefined;
}

export class AsyncIo<I, R> {
  private readonly ordered: boolean;
  /** Inputs in flight or finished but not yet polled, at most. */
  readonly capacity: number;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly onTimeout: FailurePolicy<I, R>;
  private readonly onError: FailurePolicy<I, R>;
  /** Every slot not yet polled, in input order (insertion order of the Map). */
  private readonly slots = new Map<number, Slot<I, R>>();
  /** Unordered: finished slots in completion order. */
  private readonly finished: Slot<I, R>[] = [];
  private readonly wakeup = new Wakeup();
  private nextIndex = 0;
  private closed = false;
  private readonly onSettle: (() => void) | undefined;
  /**
   * With `sharedSignal`, every request's signal (aborted at close only). An AbortController per request cost more
   * than the rest of the operator: a third of the thread's time and most of its GC, for a function that resolves
   * at once. Per attempt otherwise: a function that adds a listener to its signal for each request (fetch does)
   * would pile them up on a shared one.
   */
  private readonly shared: AbortController | undefined;
  /** Inputs skipped by a 'drop' policy (timeouts, rejections) so far. */
  dropped = 0;

  constructor(private readonly fn: AsyncFunction<I, R>, options: AsyncIoOptions<I, R> = {}, private readonly name = 'async-io') {
    if (typeof fn !== 'function') throw new AsyncIoError('INVALID_OPTION', `${name}: expected a function (value, signal) => Promise`);
    this.ordered = options.ordered ?? true;
    this.capacity = options.capacity ?? 100;
    this.timeoutMs = options.timeoutMs ?? Infinity;
    this.retries = options.retries ?? 0;
    this.retryDelayMs = options.retryDelayMs ?? 0;
    this.onTimeout = options.onTimeout ?? 'fail';
    this.onError = options.onError ?? 'fail';
    this.onSettle = options.onSettle;
    this.shared = options.sharedSignal === true ? new AbortController() : undefined;
    if (!Number.isSafeInteger(this.capacity) || this.capacity < 1) throw new AsyncIoError('INVALID_OPTION', `${name}: capacity must be a positive integer, got ${shownValue(options.capacity)}`);
    if (!(isNumber(this.timeoutMs) && this.timeoutMs > 0)) throw new AsyncIoError('INVALID_OPTION', `${name}: timeoutMs must be > 0, got ${shownValue(options.timeoutMs)}`);
    if (!Number.isSafeInteger(this.retries) || this.retries < 0) throw new AsyncIoError('INVALID_OPTION', `${name}: retries must be a non-negative integer, got ${shownValue(options.retries)}`);
    if (!(isNumber(this.retryDelayMs) && this.retryDelayMs >= 0)) throw new AsyncIoError('INVALID_OPTION', `${name}: retryDelayMs must be a number of ms >= 0, got ${shownValue(options.retryDelayMs)}`);
    // Node runs a timer longer than this after 1 ms (with a warning): a 35-day timeout would time out at once.
    if (this.timeoutMs !== Infinity && this.timeoutMs > MAX_TIMER_MS) throw new AsyncIoError('INVALID_OPTION', `${name}: timeoutMs must be at most ${MAX_TIMER_MS} (a timer's limit; leave it out for no timeout), got ${shownValue(options.timeoutMs)}`);
    if (this.retryDelayMs > MAX_TIMER_MS) throw new AsyncIoError('INVALID_OPTION', `${name}: retryDelayMs must be at most ${MAX_TIMER_MS} (a timer's limit), got ${shownValue(options.retryDelayMs)}`);
    for (const [k, p] of [['onTimeout', this.onTimeout], ['onError', this.onError]] as const) {
      if (p !== 'fail' && p !== 'drop' && typeof (p as { fallback?: unknown })?.fallback !== 'function') {
        throw new AsyncIoError('INVALID_OPTION', `${name}: ${k} must be 'fail', 'drop' or { fallback: (input, error) => result }`);
      }
    }
  }

  /** Room for another input: the task feeds the operator only while this is true. */
  get canAccept(): boolean {
    return !this.closed && this.slots.size < this.capacity;
  }

  get isFull(): boolean {
    return this.slots.size >= this.capacity;
  }

  /** Inputs whose result has not been polled (in flight or finished). */
  get size(): number {
    return this.slots.size;
  }

  /** Nothing in flight and nothing to poll: an end of stream may pass. */
  get idle(): boolean {
    return this.slots.size === 0;
  }

  /** Index of the oldest input whose result is not out yet (the next input's index when none is). */
  get firstPending(): number {
    for (const index of this.slots.keys()) return index;
    return this.nextIndex;
  }

  push(input: I): void {
    if (this.closed) throw new AsyncIoError('ASYNC_CLOSED', `${this.name}: push after close`);
    if (this.slots.size >= this.capacity) throw new AsyncIoError('ASYNC_FULL', `${this.name}: push while full (capacity ${this.capacity}); check canAccept first`);
    const slot: Slot<I, R> = { index: this.nextIndex++, input, state: PENDING, attempt: 0, live: 0, result: undefined, error: undefined, timer: undefined, controller: undefined };
    this.slots.set(slot.index, slot);
    this.start(slot);
  }

  /**
   * Emits up to `max` finished results (each with its input): ordered, only from the head of the input order;
   * unordered, in completion order. A failed input (policy 'fail') goes to `failed` when its turn comes, or
   * without it is thrown. Returns how many were emitted or failed.
   */
  poll(emit: (result: R, input: I) => void, max = Infinity, failed?: (input: I, error: Error) => void): number {
    let k = 0;
    if (this.ordered) {
      for (const slot of this.slots.values()) {
        if (k >= max || slot.state === PENDING) break;
        if (slot.state === FAILED && failed === undefined) throw slot.error!;
        this.slots.delete(slot.index);
        if (slot.state === DONE) { emit(slot.result as R, slot.input); k++; }
        else if (slot.state === FAILED) { failed!(slot.input, slot.error!); k++; }
      }
    } else {
      while (k < max && this.finished.length > 0) {
        const slot = this.finished[0]!;
        if (slot.state === FAILED && failed === undefined) throw slot.error!;
        this.finished.shift();
        this.slots.delete(slot.index);
        if (slot.state === DONE) { emit(slot.result as R, slot.input); k++; }
        else if (slot.state === FAILED) { failed!(slot.input, slot.error!); k++; }
      }
    }
    return k;
  }

  /** `poll` would emit or fail something now. */
  get pollable(): boolean {
    return this.canPoll();
  }

  /** Resolves when `poll` may emit (or throw); at once if it already can. */
  ready(): Promise<void> {
    if (this.canPoll()) return Promise.resolve();
    return this.wakeup.wait();
  }

  /** For a snapshot: every input whose result is not out yet, in input order. A restore pushes them again. */
  inFlight(): I[] {
    return [...this.slots.values()].map((s) => s.input);
  }

  /** Job stopping: abort every request; later completions are ignored. */
  close(): void {
    this.closed = true;
    for (const slot of this.slots.values()) {
      clearTimeout(slot.timer);
      slot.controller?.abort(new AsyncIoError('ASYNC_CLOSED', `${this.name}: closed`));
    }
    this.shared?.abort(new AsyncIoError('ASYNC_CLOSED', `${this.name}: closed`));
  }

  private canPoll(): boolean {
    if (!this.ordered) return this.finished.length > 0;
    for (const slot of this.slots.values()) {
      if (slot.state === PENDING) return false;
      if (slot.state !== DROPPED) return true; // DONE or FAILED at the head
    }
    return false;
  }

  private start(slot: Slot<I, R>): void {
    const attempt = ++slot.attempt;
    slot.live = attempt;
    const controller = this.shared ?? new AbortController();
    slot.controller = this.shared === undefined ? controller : undefined;
    if (this.timeoutMs !== Infinity) slot.timer = setTimeout(() => this.settle(slot, attempt, 'timeout', undefined), this.timeoutMs);
    let p: Promise<R>;
    try {
      p = Promise.resolve(this.fn(slot.input, controller.signal));
    } catch (e) {
      p = Promise.reject(e);
    }
    p.then((r) => this.settle(slot, attempt, 'ok', r), (e: unknown) => this.settle(slot, attempt, 'error', e));
  }

  private settle(slot: Slot<I, R>, attempt: number, kind: 'ok' | 'timeout' | 'error', value: unknown): void {
    // A completion of an abandoned attempt (timed out, retried) or after close changes nothing.
    if (this.closed || slot.state !== PENDING || slot.live !== attempt) return;
    slot.live = 0;
    clearTimeout(slot.timer);
    slot.timer = undefined;
    if (kind === 'ok') {
      slot.state = DONE;
      slot.result = value as R;
    } else {
      slot.controller?.abort();
      if (slot.attempt <= this.retries) {
        const next = (): void => { if (!this.closed) this.start(slot); };
        if (this.retryDelayMs > 0) setTimeout(next, this.retryDelayMs); else next();
        return;
      }
      const error = kind === 'timeout'
        ? new AsyncIoTimeoutError(this.name, slot.index, this.timeoutMs, slot.attempt)
        : new AsyncIoRequestError(this.name, slot.index, slot.attempt, value);
      this.applyPolicy(slot, kind === 'timeout' ? this.onTimeout : this.onError, error);
    }
    if (!this.ordered) this.finished.push(slot);
    this.wakeup.notify();
    this.onSettle?.();
  }

  private applyPolicy(slot: Slot<I, R>, policy: FailurePolicy<I, R>, error: Error): void {
    if (policy === 'fail') { slot.state = FAILED; slot.error = error; return; }
    if (policy === 'drop') { slot.state = DROPPED; this.dropped++; return; }
    try {
      slot.result = policy.fallback(slot.input, error);
      slot.state = DONE;
    } catch (e) {
      slot.state = FAILED;
      slot.error = new AsyncIoError('ASYNC_FAILED', `${this.name}: fallback for input #${slot.index} threw: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
}
