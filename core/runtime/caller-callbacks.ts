// Runs on: main thread. run()'s callbacks (RunOptions.onWarning, onCheckpoint) are the caller's code, called from
// inside the engine: from the checkpoint coordinator, timers and the run's own promise chain. One that throws must
// not break what called it. A throwing onCheckpoint left the checkpoint's promise (handle.checkpoint()) unsettled
// and stopped queued ones, and its error became an unhandled rejection, which ends a Node process by default; a
// throwing onWarning, called from a timer, was an uncaught exception. Their errors are said instead.

import type { CompletedCheckpoint } from '../checkpoint/coordinator.js';

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The run's warn: the caller's onWarning, or process.emitWarning, which also says a warning the callback threw on. */
export function callerWarn(onWarning: ((message: string) => void) | undefined): (message: string) => void {
  const emit = (m: string): void => { process.emitWarning(m, 'SluiceWarning'); };
  if (onWarning === undefined) return emit;
  return (m) => {
    try {
      onWarning(m);
    } catch (e) {
      emit(`${m} (onWarning threw on it: ${message(e)})`);
    }
  };
}

/** The caller's onCheckpoint, its throw said through `warn`. */
export function callerOnCheckpoint(onCheckpoint: ((c: CompletedCheckpoint) => void) | undefined, warn: (message: string) => void): ((c: CompletedCheckpoint) => void) | undefined {
  if (onCheckpoint === undefined) return undefined;
  return (c) => {
    try {
      onCheckpoint(c);
    } catch (e) {
      warn(`onCheckpoint threw on ${c.kind} ${c.id} (which completed): ${message(e)}`);
    }
  };
}
