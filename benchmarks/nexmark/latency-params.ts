// Runs on: the benchmark's main thread (sets the variables before starting a latency job) and every worker thread
// of that job (each rebuilds the same parameters from its inherited environment). What a Nexmark latency run
// needs beyond the Nexmark config (env.ts): the query, the offered rate, where the run's logs go, the warm-up.
//
// A latency run's event time advances exactly 1 ms per event (eventsPerSec 1000, in order). Then a q1 row's
// dateTime names the event it came from (event id = dateTime - baseTime), so the sink can look up when that event
// was due at the source without the row carrying anything extra; and a 10 s q7 window holds 10,000 events, so at
// the offered rate windows close often enough to give a latency distribution rather than a handful of samples.

import { NexmarkConfigError, nexmarkConfig, type NexmarkConfig } from './config.js';
import type { Q1Row } from './queries.js';

export const LATENCY_QUERIES = ['q1', 'q7'] as const;
export type LatencyQuery = (typeof LATENCY_QUERIES)[number];

export const LATENCY_QUERY_ENV = 'SLUICE_NEXMARK_LATENCY_QUERY';
export const LATENCY_DIR_ENV = 'SLUICE_NEXMARK_LATENCY_DIR';
export const LATENCY_RATE_ENV = 'SLUICE_NEXMARK_LATENCY_RATE';
export const LATENCY_PARALLELISM_ENV = 'SLUICE_NEXMARK_LATENCY_PARALLELISM';
export const LATENCY_WARMUP_ENV = 'SLUICE_NEXMARK_LATENCY_WARMUP_MS';
/** '1': q1's sink reads the clock per event, not per batch (event-latencies.ts). */
export const LATENCY_CLOCK_PER_EVENT_ENV = 'SLUICE_NEXMARK_LATENCY_CLOCK_PER_EVENT';

export interface LatencyParams {
  readonly query: LatencyQuery;
  /** Directory of the run's logs (latency-dir.ts). */
  readonly dir: string;
  /** Events per second of wall time the source emits, over all its subtasks. */
  readonly offeredPerSec: number;
  /** Parallelism of the source (and the job). */
  readonly parallelism: number;
  /** Events due, and windows closed, within this long of a source subtask's start are not measured. */
  readonly warmupMs: number;
  /** q1: arrival read per event instead of once per batch (the per-batch clock's switch). */
  readonly clockPerEvent?: boolean;
}

export function latencyEnv(p: LatencyParams): Record<string, string> {
  return {
    [LATENCY_QUERY_ENV]: p.query,
    [LATENCY_DIR_ENV]: p.dir,
    [LATENCY_RATE_ENV]: String(p.offeredPerSec),
    [LATENCY_PARALLELISM_ENV]: String(p.parallelism),
    [LATENCY_WARMUP_ENV]: String(p.warmupMs),
    [LATENCY_CLOCK_PER_EVENT_ENV]: p.clockPerEvent === true ? '1' : '0',
  };
}

/** The parameters the variables describe; throws NexmarkConfigError naming a missing or bad one. */
export function latencyParamsFromEnv(env: NodeJS.ProcessEnv = process.env): LatencyParams {
  const str = (name: string): string => {
    const v = env[name];
    if (v === undefined || v === '') throw new NexmarkConfigError(`nexmark latency: ${name} is not set`);
    return v;
  };
  const num = (name: string, ok: (n: number) => boolean, what: string): number => {
    const n = Number(str(name));
    if (!ok(n)) throw new NexmarkConfigError(`nexmark latency: ${name} must be ${what}, got ${env[name]}`);
    return n;
  };
  const query = str(LATENCY_QUERY_ENV);
  if (!(LATENCY_QUERIES as readonly string[]).includes(query)) throw new NexmarkConfigError(`nexmark latency: ${LATENCY_QUERY_ENV} must be one of ${LATENCY_QUERIES.join(', ')}, got ${query}`);
  return {
    query: query as LatencyQuery,
    dir: str(LATENCY_DIR_ENV),
    offeredPerSec: num(LATENCY_RATE_ENV, (n) => n > 0 && Number.isFinite(n), 'a finite number > 0'),
    parallelism: num(LATENCY_PARALLELISM_ENV, (n) => Number.isSafeInteger(n) && n >= 1, 'an integer >= 1'),
    warmupMs: num(LATENCY_WARMUP_ENV, (n) => n >= 0 && Number.isFinite(n), 'a finite number >= 0'),
    clockPerEvent: clockPerEvent(env[LATENCY_CLOCK_PER_EVENT_ENV]),
  };
}

function clockPerEvent(v: string | undefined): boolean {
  if (v === undefined || v === '' || v === '0') return false;
  if (v === '1') return true;
  throw new NexmarkConfigError(`nexmark latency: ${LATENCY_CLOCK_PER_EVENT_ENV} must be 0 or 1, got ${v}`);
}

/** Events in a latency run's schedule: `seconds` of it at `offeredPerSec` (at least one). */
export function scheduleEvents(offeredPerSec: number, seconds: number): number {
  return Math.max(1, Math.round(offeredPerSec * seconds));
}

/** The config of a latency run: `base`'s seed and sizes, `events` events, event time 1 ms per event, in order. */
export function latencyConfig(base: NexmarkConfig, events: number): NexmarkConfig {
  return nexmarkConfig({ ...base, events, eventsPerSec: 1000, outOfOrderGroupSize: 1 });
}

/** Whether `config` is one whose event times name their events (latencyConfig's). */
export function timesNameEvents(config: NexmarkConfig): boolean {
  return config.eventsPerSec === 1000 && config.outOfOrderGroupSize === 1;
}

/** The event id (= stream position) a q1 row came from; only for a config where timesNameEvents. */
export function eventOfQ1Row(config: NexmarkConfig, row: Q1Row): number {
  return row.dateTime - config.baseTime;
}
