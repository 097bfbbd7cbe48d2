// Runs on: the benchmark's main thread (sets the variables before starting a sluice job) and every sluice
// worker thread (each loads the job module and rebuilds the same config from its inherited environment).
// A Nexmark config through process.env, so every thread of a job generates the same stream.

import { COUNT_ENV, SEED_ENV } from '../job-generator.js';
import { DEFAULT_CONFIG, NexmarkConfigError, nexmarkConfig, type NexmarkConfig } from './config.js';
import { isQueryName, QUERY_NAMES, type QueryName } from './queries.js';

/** Count and seed share job-generator.ts's variables; rate and out-of-order group size are Nexmark's own. */
export const RATE_ENV = 'SLUICE_NEXMARK_RATE';
export const OUT_OF_ORDER_ENV = 'SLUICE_NEXMARK_OOO';
/** The query a sluice Nexmark job runs (benchmarks/nexmark/sluice-job.ts). */
export const QUERY_ENV = 'SLUICE_NEXMARK_QUERY';
/** Optional: '0' turns the sluice queries' pruning before exchanges off (SluiceQueryOptions.prefilter). */
export const PREFILTER_ENV = 'SLUICE_NEXMARK_PREFILTER';
/** Optional: the sluice job's watermark interval, ms of wall time (default: sluice's, 200). */
export const WATERMARK_INTERVAL_ENV = 'SLUICE_NEXMARK_WATERMARK_MS';

/** Every other field of the config (proportions, sizes, hot ratios, base time, ...), as JSON. */
export const CONFIG_ENV = 'SLUICE_NEXMARK_CONFIG';

/** Fields with variables of their own. */
const OWN_VARIABLES = new Set<string>(['events', 'seed', 'eventsPerSec', 'outOfOrderGroupSize']);

/**
 * The variables that carry `config`: the fields a benchmark varies in variables of their own, every other one in
 * CONFIG_ENV (they used to be left out, so the job's threads generated the reference defaults instead).
 */
export function nexmarkEnv(config: NexmarkConfig): Record<string, string> {
  return {
    [COUNT_ENV]: String(config.events),
    [SEED_ENV]: String(config.seed),
    [RATE_ENV]: String(config.eventsPerSec),
    [OUT_OF_ORDER_ENV]: String(config.outOfOrderGroupSize),
    [CONFIG_ENV]: JSON.stringify(Object.fromEntries(Object.entries(config).filter(([k]) => !OWN_VARIABLES.has(k)))),
  };
}

/** The config the variables describe; throws NexmarkConfigError rather than running a default-size job. */
export function nexmarkConfigFromEnv(env: NodeJS.ProcessEnv = process.env): NexmarkConfig {
  const read = (name: string, required: boolean): number | undefined => {
    const v = env[name];
    if (v === undefined || v === '') {
      if (required) throw new NexmarkConfigError(`nexmark: ${name} is not set`);
      return undefined;
    }
    const n = Number(v);
    if (Number.isNaN(n)) throw new NexmarkConfigError(`nexmark: ${name} must be a number, got ${v}`);
    return n;
  };
  const rest = env[CONFIG_ENV];
  let fields: Record<string, unknown> = {};
  if (rest !== undefined && rest !== '') {
    try {
      fields = JSON.parse(rest) as Record<string, unknown>;
    } catch (e) {
      throw new NexmarkConfigError(`nexmark: ${CONFIG_ENV} is not JSON (${(e as Error).message})`);
    }
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw new NexmarkConfigError(`nexmark: ${CONFIG_ENV} must be a JSON object, got ${rest}`);
    const unknown = Object.keys(fields).filter((k) => OWN_VARIABLES.has(k) || !(k in DEFAULT_CONFIG));
    if (unknown.length > 0) throw new NexmarkConfigError(`nexmark: ${CONFIG_ENV} holds ${unknown.join(', ')}, which it does not carry`);
  }
  const overrides: Partial<{ -readonly [K in keyof NexmarkConfig]: NexmarkConfig[K] }> = { ...fields, events: read(COUNT_ENV, true)! };
  const seed = read(SEED_ENV, false);
  const rate = read(RATE_ENV, false);
  const ooo = read(OUT_OF_ORDER_ENV, false);
  if (seed !== undefined) overrides.seed = seed;
  if (rate !== undefined) overrides.eventsPerSec = rate;
  if (ooo !== undefined) overrides.outOfOrderGroupSize = ooo;
  return nexmarkConfig(overrides);
}

/** How the sluice job runs a query, beyond the query and the stream. */
export interface SluiceJobSettings {
  /** Watermark interval, ms of wall time (default: sluice's). */
  watermarkIntervalMs?: number | undefined;
  /** Pruning before exchanges (default true). */
  prefilter?: boolean | undefined;
}

/** The variables that select query `q` over `config` for the sluice job module, and its settings. */
export function nexmarkQueryEnv(q: QueryName, config: NexmarkConfig, settings: SluiceJobSettings = {}): Record<string, string> {
  return {
    ...nexmarkEnv(config),
    [QUERY_ENV]: q,
    [WATERMARK_INTERVAL_ENV]: settings.watermarkIntervalMs === undefined ? '' : String(settings.watermarkIntervalMs),
    [PREFILTER_ENV]: settings.prefilter === false ? '0' : '',
  };
}

/** The query the variables name; throws NexmarkConfigError for a missing or unknown one. */
export function nexmarkQueryFromEnv(env: NodeJS.ProcessEnv = process.env): QueryName {
  const q = env[QUERY_ENV];
  if (q === undefined || q === '') throw new NexmarkConfigError(`nexmark: ${QUERY_ENV} is not set`);
  if (!isQueryName(q)) throw new NexmarkConfigError(`nexmark: ${QUERY_ENV} must be one of ${QUERY_NAMES.join(', ')}, got '${q}'`);
  return q;
}

/** The sluice job's settings the variables give (unset: defaults). */
export function sluiceJobSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): SluiceJobSettings {
  const wm = env[WATERMARK_INTERVAL_ENV];
  let watermarkIntervalMs: number | undefined;
  if (wm !== undefined && wm !== '') {
    watermarkIntervalMs = Number(wm);
    if (!(Number.isFinite(watermarkIntervalMs) && watermarkIntervalMs > 0)) throw new NexmarkConfigError(`nexmark: ${WATERMARK_INTERVAL_ENV} must be a number of ms > 0, got ${wm}`);
  }
  const pf = env[PREFILTER_ENV];
  if (pf !== undefined && pf !== '' && pf !== '0' && pf !== '1') throw new NexmarkConfigError(`nexmark: ${PREFILTER_ENV} must be 0 or 1, got ${pf}`);
  return { watermarkIntervalMs, prefilter: pf !== '0' };
}
