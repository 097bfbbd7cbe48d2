// Runs on: main thread (the checkpoint coordinator's). Flink's tolerable checkpoint failures: more than
// `tolerable` checkpoints in a row that fail (time out, cannot be written; a snapshot that throws fails its task
// anyway) fail the job, which then restarts from its last completed checkpoint as after any failure. A task stuck
// in user code lets no barrier through, so this is also what ends a hung job. Savepoints do not count (their requester hears of a failure).

import { JobDefinitionError } from '../api/errors.js';
import type { CheckpointKind } from './manifest.js';
import { shownValue } from '../api/shown-value.js';

export class TooManyCheckpointFailuresError extends Error {
  constructor(readonly failures: number, readonly tolerable: number, lastReason: string) {
    super(`${failures} checkpoint${failures === 1 ? '' : 's'} in a row failed (tolerable: ${tolerable}); the last: ${lastReason}`);
    this.name = 'TooManyCheckpointFailuresError';
  }
}

/** `tolerable`: an integer >= 0, or Infinity (never fail the job for failed checkpoints). */
export function checkTolerableFailures(tolerable: number, where: string): number {
  if (!(tolerable === Infinity || (Number.isInteger(tolerable) && tolerable >= 0))) {
    throw new JobDefinitionError(`${where}: expected an integer >= 0 (or Infinity), got ${shownValue(tolerable)}`);
  }
  return tolerable;
}

export class CheckpointFailureCounter {
  /** Failed checkpoints since the last completed one. */
  private inARow = 0;

  constructor(readonly tolerable: number) {}

  completed(kind: CheckpointKind): void {
    if (kind !== 'savepoint') this.inARow = 0;
  }

  /** A checkpoint failed: the error that fails the job, once the failures in a row exceed the tolerable number. */
  failed(kind: CheckpointKind, reason: string): TooManyCheckpointFailuresError | undefined {
    if (kind === 'savepoint') return undefined;
    this.inARow++;
    return this.inARow > this.tolerable ? new TooManyCheckpointFailuresError(this.inARow, this.tolerable, reason) : undefined;
  }
}
