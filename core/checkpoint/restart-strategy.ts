// Runs on: main thread. How often, and after how long, a failed job is restarted from its last completed
// checkpoint (Flink's restart strategies).

import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';
import { isNumber } from '../api/number-option.js';

export type RestartStrategy =
  | { readonly type: 'none' }
  /** Up to `attempts` restarts, `delayMs` apart. */
  | { readonly type: 'fixed-delay'; readonly attempts: number; readonly delayMs: number }
  /**
   * Delays growing by `multiplier` (default 2) from `initialDelayMs` up to `maxDelayMs`; `attempts` restarts at most
   * (default unlimited). An attempt that ran `resetAfterMs` (default 1 h, Flink's reset-backoff-threshold) before it
   * failed was stable: the delay and the attempts start over.
   */
  | { readonly type: 'exponential-backoff'; readonly initialDelayMs: number; readonly maxDelayMs: number; readonly multiplier?: number; readonly attempts?: number; readonly resetAfterMs?: number };

/** Flink's default reset-backoff-threshold. */
export const DEFAULT_RESET_AFTER_MS = 3_600_000;

export function checkRestartStrategy(s: RestartStrategy): RestartStrategy {
  const bad = (m: string): never => { throw new JobDefinitionError(`restartStrategy: ${m}`); };
  switch (s?.type) {
    case 'none': return s;
    case 'fixed-delay':
      if (!(isNumber(s.attempts) && s.attempts >= 0)) bad(`attempts must be >= 0, got ${shownValue(s.attempts)}`);
      if (!(isNumber(s.delayMs) && s.delayMs >= 0)) bad(`delayMs must be >= 0, got ${shownValue(s.delayMs)}`);
      return s;
    case 'exponential-backoff':
      if (!(isNumber(s.initialDelayMs) && isNumber(s.maxDelayMs) && s.initialDelayMs >= 0 && s.maxDelayMs >= s.initialDelayMs)) bad(`need numbers 0 <= initialDelayMs <= maxDelayMs, got ${shownValue(s.initialDelayMs)} and ${shownValue(s.maxDelayMs)}`);
      if (s.multiplier !== undefined && !(isNumber(s.multiplier) && s.multiplier >= 1)) bad(`multiplier must be >= 1, got ${shownValue(s.multiplier)}`);
      if (s.attempts !== undefined && !(isNumber(s.attempts) && s.attempts >= 0)) bad(`attempts must be >= 0, got ${shownValue(s.attempts)}`);
      if (s.resetAfterMs !== undefined && !(isNumber(s.resetAfterMs) && s.resetAfterMs >= 0)) bad(`resetAfterMs must be >= 0, got ${shownValue(s.resetAfterMs)}`);
      return s;
    default:
      return bad(`unknown type ${JSON.stringify((s as { type?: unknown })?.type)} (none, fixed-delay, exponential-backoff)`);
  }
}

/** The delay before restart number `restart` (1 for the first), or undefined when the strategy gives up. */
export function restartDelay(s: RestartStrategy, restart: number): number | undefined {
  switch (s.type) {
    case 'none': return undefined;
    case 'fixed-delay': return restart <= s.attempts ? s.delayMs : undefined;
    case 'exponential-backoff': {
      if (s.attempts !== undefined && restart > s.attempts) return undefined;
      return Math.min(s.maxDelayMs, s.initialDelayMs * (s.multiplier ?? 2) ** (restart - 1));
    }
  }
}

/**
 * The restarts of one run: `next(ranMs)` after an attempt that ran `ranMs` and failed gives the delay before the
 * next restart, or undefined when the strategy gives up. Only exponential backoff starts over after a stable
 * attempt (else a job that fails once a day climbs to maxDelayMs and uses up its attempts for good).
 */
export class RestartCounter {
  /** Restarts since the strategy last started over. */
  private sinceReset = 0;

  constructor(private readonly strategy: RestartStrategy) {}

  next(ranMs: number): number | undefined {
    const s = this.strategy;
    if (s.type === 'exponential-backoff' && ranMs >= (s.resetAfterMs ?? DEFAULT_RESET_AFTER_MS)) this.sinceReset = 0;
    const delay = restartDelay(s, this.sinceReset + 1);
    if (delay !== undefined) this.sinceReset++;
    return delay;
  }
}
