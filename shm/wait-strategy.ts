// Runs on: any thread. How a side of a ring waits: spin briefly, then park, blocking or asynchronously.
//
// Measured on this 2-core machine: a spin round trip ~1 µs, a park/wake round trip ~30 µs, a notify ~300 ns.
// Spinning is bounded (`spin` checks), because a spinning thread steals the only other core.

import { InvalidArgumentError } from './errors.js';

export type WaitMode = 'block' | 'async';

export interface WaitStrategy {
  /** 'block': Atomics.wait, for threads that do nothing else. 'async': Atomics.waitAsync, keeps the event loop. */
  readonly mode: WaitMode;
  /** Checks before parking; 0 turns spinning off (every wait parks). */
  readonly spin: number;
  /**
   * Longest single park before re-checking, in ms. Parks end on a notify; the timeout only bounds the cost of a
   * wake-up lost to a bug or to a peer that died, so a waiter always re-checks `aborted` in bounded time.
   */
  readonly parkTimeoutMs: number;
  /**
   * Async mode only: hold a ref'd timer while parked. On Node 20 a pending waitAsync does not keep a worker's
   * event loop alive (nodejs/node#44729): without this, a parked worker can exit silently while its peer waits
   * forever. Turn off only to demonstrate that hazard.
   */
  readonly keepAlive: boolean;
}

export const DEFAULT_SPIN = 512;
export const DEFAULT_PARK_TIMEOUT_MS = 200;

export function waitStrategy(options: Partial<WaitStrategy> = {}): WaitStrategy {
  const s: WaitStrategy = {
    mode: options.mode ?? 'block',
    spin: options.spin ?? DEFAULT_SPIN,
    parkTimeoutMs: options.parkTimeoutMs ?? DEFAULT_PARK_TIMEOUT_MS,
    keepAlive: options.keepAlive ?? true,
  };
  if (s.mode !== 'block' && s.mode !== 'async') throw new InvalidArgumentError(`wait mode must be 'block' or 'async', got ${String(s.mode)}`);
  if (!Number.isInteger(s.spin) || s.spin < 0) throw new InvalidArgumentError(`spin must be a non-negative integer, got ${s.spin}`);
  if (!(s.parkTimeoutMs > 0)) throw new InvalidArgumentError(`parkTimeoutMs must be > 0, got ${s.parkTimeoutMs}`);
  return s;
}

/** Runs `fn` while holding the event loop open if the strategy asks for it (see `keepAlive`). */
export async function keptAlive<T>(strategy: WaitStrategy, pending: Promise<T>): Promise<T> {
  if (!strategy.keepAlive) return pending;
  // A ref'd timer is what keeps the worker's loop alive; it never fires before the park's own timeout.
  const timer = setTimeout(noop, strategy.parkTimeoutMs + 1000);
  try {
    return await pending;
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
