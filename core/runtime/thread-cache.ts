// Runs on: the main thread that calls run(). Worker threads kept between runs (RunOptions.threadCache).
//
// Starting a job's worker threads costs ~130 ms here (Node's bootstrap of each thread, then the job's bundle),
// and each new thread compiles the engine's hot code again: a job of a second or two runs its first part slow.
// A run given a ThreadCache takes its threads from it when an earlier run left threads that were created exactly
// as this run would create them, and gives them back when it ends well. Like a Flink session cluster, whose task
// managers outlive the jobs they run.
//
// What is the same on a kept thread: the job's modules, loaded once per thread (module-level state of the job's
// own files carries over from one run to the next), and the JIT's work. What is not: everything a run builds
// (tasks, rings, state) is the run's own and dropped when it ends. A run that failed, was cancelled or lost a
// thread never gives its threads back: they are ended, as is a kept pool one of whose threads throws while idle.
// Idle kept threads do not keep the process alive.

import { canonical, sha256 } from '../checkpoint/manifest.js';
import { endPool, type EndablePool } from './end-pool.js';
import { shownValue } from '../api/shown-value.js';
import { checkKnownOptions } from '../api/known-options.js';

/** What the cache needs of a worker pool (a Piscina instance). */
export interface KeptPool extends EndablePool {
  /** 'error': a thread with no task threw (a timer or a late rejection in the job's own module). */
  on(event: 'error', listener: (e: unknown) => void): unknown;
  off(event: 'error', listener: (e: unknown) => void): unknown;
}

/** Everything a worker thread is created with: threads are only shared between runs where all of it is equal. */
export interface PoolIdentity {
  /** The module workers load (the job's bundle, or the task host). */
  readonly filename: string;
  /** The job (query string included): without a bundle every job's workers load the same task host. */
  readonly jobUrl: string;
  readonly threads: number;
  readonly execArgv: readonly string[] | undefined;
  /** The environment the threads get (a copy is taken when each starts). */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly heapMb: number;
}

export interface ThreadCacheOptions {
  /** Idle pools kept at most; the longest idle one is ended to make room (default 4). */
  maxIdlePools?: number;
}

// Every option by name: the compiler refuses this list when ThreadCacheOptions changes and it does not follow.
const THREAD_CACHE_KEYS = Object.keys({ maxIdlePools: true } satisfies Record<keyof ThreadCacheOptions, true>);

export class ThreadCache {
  /** Idle pools by identity, longest idle first (a Map keeps insertion order), with their error listeners. */
  private readonly idle = new Map<string, { pool: KeptPool; onError: (e: unknown) => void }>();
  private readonly maxIdle: number;
  private closed = false;

  constructor(options: ThreadCacheOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`ThreadCache: options must be an object, got ${shownValue(options)}`);
    // { maxIdlePool: 0 } kept 4 idle pools, without a word.
    checkKnownOptions(options, THREAD_CACHE_KEYS, 'ThreadCache', (m) => new TypeError(m));
    const max = options.maxIdlePools ?? 4;
    if (!Number.isSafeInteger(max) || max < 0) throw new RangeError(`ThreadCache: maxIdlePools must be an integer >= 0, got ${shownValue(max)}`);
    this.maxIdle = max;
  }

  /** Idle pools held now. */
  get size(): number {
    return this.idle.size;
  }

  /** @internal The key of a pool's identity. */
  static keyOf(id: PoolIdentity): string {
    return sha256(canonical(id));
  }

  /** @internal An idle pool created as `key` says, taken out of the cache (the run owns it until it gives it back). */
  take(key: string): KeptPool | undefined {
    const kept = this.idle.get(key);
    if (kept === undefined) return undefined;
    this.idle.delete(key);
    kept.pool.off('error', kept.onError);
    return kept.pool;
  }

  /**
   * @internal A run that ended well gives its pool back. It is ended instead when the cache is closed or already
   * holds one of its kind (two runs of one job at once); the longest idle pool goes when the cache is full.
   */
  async give(key: string, pool: KeptPool): Promise<void> {
    if (this.closed || this.maxIdle === 0 || this.idle.has(key)) {
      await endPool(pool);
      return;
    }
    // Without a listener, an error a thread throws while idle would be thrown in the main thread by the pool's
    // EventEmitter: the pool is ended instead, and no run gets a thread that failed.
    const onError = (): void => {
      if (this.idle.get(key)?.pool !== pool) return;
      this.idle.delete(key);
      void endPool(pool);
    };
    pool.on('error', onError);
    this.idle.set(key, { pool, onError });
    const ended: Promise<void>[] = [];
    for (const [k, kept] of this.idle) {
      if (this.idle.size <= this.maxIdle) break;
      this.idle.delete(k);
      ended.push(endPool(kept.pool));
    }
    await Promise.all(ended);
  }

  /** Ends every idle thread; runs still going end theirs when they finish. The cache keeps nothing after this. */
  async close(): Promise<void> {
    this.closed = true;
    const kept = [...this.idle.values()];
    this.idle.clear();
    // Their error listeners stay (they only end a pool still idle here): a thread failing as it ends throws nothing.
    await Promise.all(kept.map(({ pool }) => endPool(pool)));
  }
}
