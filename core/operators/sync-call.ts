// Runs on: the worker thread of the subtask. User functions that are handed state, timers or a collector run
// synchronously: the key, the record's time and the state handles are the current record's only during the call.
// An async function compiles (a Promise fits a void callback) but works on under whatever key comes next, after an
// await: key 'a's update lands on 'b', and a throw after the await skips the error policy and kills the
// process. Its promise is refused at once, naming the operator.

import { JobDefinitionError } from '../api/errors.js';

/**
 * Throws when `result` (what user function `what` of operator `operator` returned) is a promise. `why`: what running
 * synchronously means for it. `operator` undefined: the caller's operator names itself when it fails.
 */
export function notAsync(result: unknown, operator: string | undefined, what: string, why = "the key, the record's time and state are its record's only during the call"): void {
  if (result === undefined || typeof (result as { then?: unknown } | null)?.then !== 'function') return;
  // Its own failure, later, would be an unhandled rejection: the job fails here instead.
  (result as PromiseLike<unknown>).then(undefined, () => {});
  throw new JobDefinitionError(`${operator !== undefined ? `operator '${operator}': ` : ''}${what} returned a promise, but it runs synchronously (${why}); do asynchronous work in asyncMap before it`);
}

/**
 * notAsync for a function called per record, on its first result only (an async function returns a promise every
 * time): `if (this.unchecked) this.unchecked = checkedOnce(...)` leaves one flag test per call after it.
 */
export function checkedOnce(result: unknown, operator: string | undefined, what: string, why: string): false {
  notAsync(result, operator, what, why);
  return false;
}

/** Why a function that emits through its collector must be done when it returns. */
export const WITHIN_THE_CALL = "the window has fired and is cleared when it returns: what it collects later is lost to the checkpoint";

/** What a reduce or an aggregate does with its function's result, which a promise would take the place of. */
export const KEPT_AS_STATE = 'what it returns is kept as the state';

/** What a map, filter or flatMap does with its function's result, which a promise would take the place of. */
export const PASSES_RESULT_ON = 'what it returns is passed on as it is';
