// Runs on: every thread that builds the fraud-alerts job (the main thread and each worker).
//
// The job's settings, from environment variables: `sluice run` passes no arguments to a job, and every worker
// thread starts with a copy of the main thread's environment, so all threads build the same graph.

import { JobDefinitionError } from '../../core/index.js';

export interface FraudSettings {
  /** JSON Lines files (paths, directories or globs, comma-separated) to read; undefined: the generator. */
  input: string[] | undefined;
  /** Transactions the generator makes. */
  count: number;
  seed: number;
  /** Transactions per second from the generator; undefined: as fast as it can. */
  ratePerSec: number | undefined;
  /** Where alerts/, late/ and rejected/ go. */
  out: string;
  /** Print alerts on stdout as well. */
  print: boolean;
}

function number(env: NodeJS.ProcessEnv, name: string, dflt: number, min: number): number {
  const text = env[name];
  if (text === undefined || text === '') return dflt;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new JobDefinitionError(`${name} must be an integer >= ${min}, got '${text}'`);
  return n;
}

/**
 * FRAUD_INPUT (default: generated transactions), FRAUD_COUNT (120000), FRAUD_SEED (42), FRAUD_RATE (per second,
 * 50000; 0: unlimited), FRAUD_OUT (out/fraud), FRAUD_PRINT (1; 0, false or no: files only).
 */
export function fraudSettings(env: NodeJS.ProcessEnv): FraudSettings {
  const input = env['FRAUD_INPUT'];
  const rate = number(env, 'FRAUD_RATE', 50_000, 0);
  return {
    input: input === undefined || input === '' ? undefined : input.split(',').map((s) => s.trim()).filter((s) => s !== ''),
    count: number(env, 'FRAUD_COUNT', 120_000, 0),
    seed: number(env, 'FRAUD_SEED', 42, 0),
    ratePerSec: rate === 0 ? undefined : rate,
    out: env['FRAUD_OUT'] || 'out/fraud',
    print: flag(env, 'FRAUD_PRINT', true),
  };
}

/** 1/true/yes or 0/false/no (any case); anything else is refused, as a bad number is. */
function flag(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (/^(1|true|yes)$/i.test(text)) return true;
  if (/^(0|false|no)$/i.test(text)) return false;
  throw new JobDefinitionError(`${name} must be 1 or 0 (true/false, yes/no), got '${text}'`);
}
