// Runs on: main thread. A worker thread's error comes as plain data (SerializedError): this makes it an Error of
// its class again (OperatorError with its cause, WorkerDiedError) for the run's result.

import { OperatorError, WorkerDiedError } from '../api/errors.js';
import type { SerializedError } from '../../workers/assignment.js';

/** The Error a worker thread's serialized error stands for. */
export function revive(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'OperatorError' && e.operator !== undefined) {
    const cause = new Error(e.message.replace(/^operator '.*?' \(subtask \d+\) failed: /, ''));
    cause.stack = e.stack?.split('\n    caused by: ')[1] ?? e.stack;
    if (e.causeName !== undefined) cause.name = e.causeName;
    if (e.causeCode !== undefined) (cause as Error & { code?: string }).code = e.causeCode;
    err = new OperatorError(e.operator, e.subtask ?? 0, cause);
  } else if (e.name === 'WorkerDiedError') {
    err = new WorkerDiedError(e.message);
  } else {
    err = new Error(e.message);
    err.name = e.name;
  }
  if (e.name !== 'OperatorError' && e.stack) err.stack = e.stack;
  return err;
}
