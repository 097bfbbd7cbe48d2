// Runs on: main thread. No checkpoint to resume or restart from as asked (none intact, none of that id or savepoint
// name, or one behind published output), said with why. Its own file: the control socket's client rebuilds it
// (control-errors.ts) without loading the restore.

export class NoCheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoCheckpointError';
  }
}
