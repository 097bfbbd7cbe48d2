// Runs on: any thread (the job API and run() check options where they are given). An options object with a
// misspelt key ({ paralellism: 2 }) otherwise leaves that option at its default without a word; TypeScript catches
// it only in an object literal, and never in JavaScript.

import { JobDefinitionError } from './errors.js';

/**
 * Throws for every key of `options` not in `known`, naming the call (`what`), the key and the nearest known key.
 * A known key whose value is undefined is fine; an unknown one is refused even when undefined. `error` makes the
 * error (default JobDefinitionError; connectors pass their ConnectorOptionError).
 */
export function checkKnownOptions(options: object, known: readonly string[], what: string, error: (message: string) => Error = (m) => new JobDefinitionError(m)): void {
  const unknown = Object.keys(options).filter((k) => !known.includes(k));
  if (unknown.length === 0) return;
  const said = unknown.map((k) => {
    const near = nearestKey(k, known);
    return near === undefined ? `'${k}'` : `'${k}' (did you mean '${near}'?)`;
  });
  throw error(`${what}: unknown option${unknown.length > 1 ? 's' : ''} ${said.join(', ')}; known: ${known.join(', ')}`);
}

/** The known key closest to `key` by edit distance (case ignored), if close enough to be a likely slip. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  // A third of the key's length, at least 2: 'mod' for 'mode', 'checkpointInterval' for 'checkpointIntervalMs'.
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions, one row kept. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
