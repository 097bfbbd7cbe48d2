// Runs on: main thread (the checkpoint coordinator's). A checkpoint chunk that could not be written (a full disk,
// a directory gone read-only) fails the job's attempt: later checkpoints of the attempt would refer to it. The
// message says what happened and, for a full disk, what to do; whether the job restarts is the restart
// strategy's to say (run() words each restart, and the last failure says none is left).

export class CheckpointChunkWriteError extends Error {
  constructor(readonly stateDir: string, cause: Error) {
    const full = (cause as NodeJS.ErrnoException).code === 'ENOSPC' || /no space left on device/i.test(cause.message);
    super(`a checkpoint chunk could not be written to ${stateDir} (${cause.message}): no later checkpoint of this attempt could be restored, so the attempt fails`
      + (full ? `; its disk is full: free space there, then resume from its last checkpoint` : ''), { cause });
    this.name = 'CheckpointChunkWriteError';
  }
}
