// Runs on: main thread. A state directory that cannot be used as it is (in use, not writable, damaged), said
// plainly, naming the directory (and the file, where one is to blame).

export class StateDirError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StateDirError';
  }
}
