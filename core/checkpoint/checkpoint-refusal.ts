// Runs on: main thread. Why a checkpoint, savepoint or stop with savepoint asked of a running attempt did not
// complete: aborted once begun, refused while it waited for another to end, or refused at once, its attempt over.
// Callers branch on `reason`, never on the message, which says it in words for a user (specs and users read it as
// it is).

/** Why a checkpoint was refused when its attempt failed: the job itself goes on (a restart) or fails. */
export const ATTEMPT_FAILED = 'the job failed (it restarts from its last completed checkpoint if the failure and its restart strategy allow; else it ends failed)';

/**
 * Why a begun checkpoint was aborted: not completed within its timeout, declined by a subtask, its state or
 * manifest not written, or its attempt ended under it (stopped by the user, or failed: a restart may follow).
 */
export type CheckpointAbortReason = 'timeout' | 'declined' | 'write-failed' | 'stopped' | 'attempt-failed';

/** Why a checkpoint waiting behind another one never began: its attempt ended first. */
export type CheckpointNotStartedReason = 'stopped' | 'attempt-failed';

/** The words for an attempt's end that aborted or refused a checkpoint. */
export function endedText(reason: CheckpointNotStartedReason): string {
  return reason === 'attempt-failed' ? ATTEMPT_FAILED : 'the job stopped';
}

export class CheckpointAbortedError extends Error {
  /** `detail` is the message's account of it (the attempt's end, `endedText`, for stopped and attempt-failed). */
  constructor(readonly checkpointId: number, readonly reason: CheckpointAbortReason, detail: string) {
    super(`checkpoint ${checkpointId} was aborted: ${detail}`);
    this.name = 'CheckpointAbortedError';
  }
}

/**
 * A checkpoint that waited behind the one in flight and never began. Its name stays `Error`: what it prints
 * (`Error: the job stopped before the checkpoint could start`) is as it was before it had a type.
 */
export class CheckpointNotStartedError extends Error {
  /** `more` follows the message after a semicolon (what the caller adds: "the job was not stopped"). */
  constructor(readonly reason: CheckpointNotStartedReason, more?: string, options?: { cause?: unknown }) {
    super(`${endedText(reason)} before the checkpoint could start${more !== undefined ? `; ${more}` : ''}`, options);
  }
}

/**
 * Why a checkpoint was refused at once: its attempt had ended (stopped, failed), the next has not begun, or (a stop
 * with savepoint) another stop's savepoint is being taken.
 */
export type CheckpointRefusedReason = CheckpointNotStartedReason | 'restarting' | 'already-stopping';

/**
 * A checkpoint, savepoint or stop with savepoint refused at once, nothing begun: its attempt's coordinator had
 * stopped ('stopped': a stop, a cancel, the end of input; 'attempt-failed': a restart may follow), the job is
 * between two attempts ('restarting': try again once the next one runs), or a stop with savepoint came while another
 * one's savepoint is taken ('already-stopping': the job stops once it completes, and runs on if it fails). Its name
 * stays `Error` and its messages are as they were before it had a type ("the job is not running", "the job is
 * restarting (restart 1): try again once it runs", "the job is already stopping with savepoint 'v1'").
 */
export class CheckpointRefusedError extends Error {
  constructor(readonly reason: CheckpointRefusedReason, message = 'the job is not running') {
    super(message);
  }
}
