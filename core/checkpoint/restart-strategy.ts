// Runs on: main thread. How often, and after how long, a failed job is restarted from its last completed
// checkpoint (Flink's restart strategies).

import { JobDefinitionError } from '../api/errors.js';

export type RestartStrategy =
  | { readonly type: 'none' }
  /** Up to `attempts` restarts, `delayMs` apart. */
  | { readonly type: 'fixed-delay'; readonly attempts: number; readonly delayMs: number }
  /** Delays growing by `multiplier` (default 2) from `initialDelayMs` up to `maxDelayMs`; `attempts` restarts at most (default unlimited). */
  | { readonly type: 'exponential-backoff'; readonly initialDelayMs: number; readonly maxDelayMs: number; readonly multiplier?: number; readonly attempts?: number };

export function checkRestartStrategy(s: RestartStrategy): RestartStrategy {
  const bad = (m: string): never => { throw new JobDefinitionError(`restartStrategy: ${m}`); };
  switch (s?.type) {
    case 'none': return s;
    case 'fixed-delay':
      if (!(s.attempts >= 0)) bad(`attempts must be >= 0, got ${s.attempts}`);
      if (!(s.delayMs >= 0)) bad(`delayMs must be >= 0, got ${s.delayMs}`);
      return s;
    case 'exponential-backoff':
      if (!(s.initialDelayMs >= 0) || !(s.maxDelayMs >= s.initialDelayMs)) bad('need 0 <= initialDelayMs <= maxDelayMs');
      if (s.multiplier !== undefined && !(s.multiplier >= 1)) bad(`multiplier must be >= 1, got ${s.multiplier}`);
      if (s.attempts !== undefined && !(s.attempts >= 0)) bad(`attempts must be >= 0, got ${s.attempts}`);
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
