// Runs on: main thread. A worker thread's error comes as plain data (SerializedError): this makes it an Error of
// its class again (OperatorError with its cause, WorkerDiedError) for the run's result. A cause of one of sluice's
// exported error classes comes back as that class (an embedding app matches them with instanceof), with its code
// and the plain fields it carried (`extra` of a user's error too, whose class the main thread cannot know).

import { GraphMismatchError, JobCancelledError, JobDefinitionError, OperatorError, RecordRejectedError, SavepointNameError, WorkerDiedError } from '../api/errors.js';
import * as connectorErrors from '../connectors/errors.js';
import * as shmErrors from '../../shm/errors.js';
import { AsyncIoError, AsyncIoRequestError, AsyncIoTimeoutError } from '../operators/async-io.js';
import { KeyTypeError } from '../graph/tuple-key.js';
import type { SerializedError } from '../../workers/assignment.js';

type ErrorClass = abstract new (...args: never[]) => Error;

/** sluice's error classes by the name their instances carry. */
const CLASSES: ReadonlyMap<string, ErrorClass> = new Map(
  Object.entries({ JobDefinitionError, SavepointNameError, GraphMismatchError, RecordRejectedError, JobCancelledError, AsyncIoError, AsyncIoRequestError, AsyncIoTimeoutError, KeyTypeError, ...connectorErrors, ...shmErrors } as Record<string, unknown>)
    .filter((e): e is [string, ErrorClass] => typeof e[1] === 'function' && (e[1] as { prototype?: unknown }).prototype instanceof Error),
);

/** An error of class `name` (sluice's, else a plain Error named so) with `message`, made without its constructor. */
function errorOf(name: string, message: string): Error {
  const cls = CLASSES.get(name);
  const err: Error = cls === undefined ? new Error(message) : Object.create(cls.prototype as object) as Error;
  if (cls !== undefined) Object.defineProperty(err, 'message', { value: message, writable: true, configurable: true, enumerable: false });
  err.name = name;
  return err;
}

/** The Error a worker thread's serialized error stands for. */
export function revive(e: SerializedError): Error {
  let err: Error;
  if (e.name === 'OperatorError' && e.operator !== undefined) {
    const cause = errorOf(e.causeName ?? 'Error', e.causeMessage ?? e.message.replace(/^operator '.*?' \(subtask \d+\) failed(?: in \w+)?: /, ''));
    cause.stack = e.stack?.split('\n    caused by: ')[1] ?? e.stack;
    if (e.causeFields !== undefined) Object.assign(cause, e.causeFields);
    if (e.causeCode !== undefined) (cause as Error & { code?: string }).code = e.causeCode;
    err = new OperatorError(e.operator, e.subtask ?? 0, cause, e.hook, e.policyOperator);
  } else if (e.name === 'WorkerDiedError') {
    err = new WorkerDiedError(e.message, e.cause !== undefined ? { cause: e.cause } : undefined);
  } else {
    err = errorOf(e.name, e.message);
  }
  if (e.name !== 'OperatorError' && e.stack) err.stack = e.stack;
  return err;
}
