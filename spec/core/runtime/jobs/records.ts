// The records of the runtime tests' jobs, shared with their single-threaded oracles.
import type { Random } from '../../../../core/index.js';

export interface KeyedRecord { i: number; key: string; value: number; line: string }

const VOCAB = Array.from({ length: 500 }, (_, k) => `w${k}`);

export function keyedRecord(i: number, r: Random, keys: 'uniform' | 'skewed'): KeyedRecord {
  // Skewed: half the events on 10 hot keys, the rest spread over 10,000.
  const k = keys === 'skewed' && r.next() < 0.5 ? r.int(10) : r.int(10_000);
  const value = r.int(21) - 10;
  const line = `${VOCAB[keys === 'skewed' ? Math.floor(r.next() ** 3 * 500) : r.int(500)]} ${VOCAB[r.int(500)]}`;
  return { i, key: `k${k}`, value, line };
}

export function words(x: KeyedRecord): string[] {
  return x.line.split(' ');
}
