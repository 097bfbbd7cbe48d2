// Runs on: main thread. RunOptions.signal: an AbortSignal that cancels a run, the way Node's own APIs take one.

/** Checks the option: anything but an AbortSignal is a caller's mistake, said at once (not ignored). */
export function checkSignal(signal: unknown): AbortSignal | undefined {
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) throw new TypeError(`run: options.signal must be an AbortSignal, got ${signal === null ? 'null' : typeof signal}`);
  return signal;
}

/**
 * `p`, or a rejection with the signal's reason once it aborts first. `p` itself goes on (a job module's import
 * cannot be stopped), its outcome ignored.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) { p.catch(() => {}); return Promise.reject(signal.reason); }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
