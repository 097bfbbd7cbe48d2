// Runs on: main thread, of a job serving its control socket (control-server.ts) and of the process asking it
// (requestControl, the `sluice` commands). A request's failure crosses the socket as JSON: its name, its message,
// and for the public error classes a request can fail with, the class and the fields callers branch on (reason,
// state, ...), so the asking side rebuilds that class and `instanceof` holds there as in the job's process. Two of
// them are named 'Error' (CheckpointRefusedError, CheckpointNotStartedError), so the class is sent apart from the
// name. Any other error, or one whose fields do not fit (a job of another sluice version), is a plain Error with the
// name it had.

import { JobNotRunningError, NotCheckpointingError, SavepointNameError, type NotRunningState } from '../api/errors.js';
import {
  CheckpointAbortedError, CheckpointNotStartedError, CheckpointRefusedError, type CheckpointAbortReason, type CheckpointNotStartedReason,
  type CheckpointRefusedReason,
} from '../checkpoint/checkpoint-refusal.js';
import { NoCheckpointError } from '../checkpoint/no-checkpoint-error.js';
import { StateDirError } from '../checkpoint/state-dir-error.js';
import { OutputRefusedError, type OutputRefusedReason } from './output-refusal.js';

type Fields = Record<string, string | number>;

/** A failed request's error as the control socket carries it. */
export interface ControlErrorBody {
  name: string;
  message: string;
  /** The public class it was, when it is one the asking side rebuilds (its constructor's name). */
  type?: string;
  fields?: Fields;
}

/** A field's value of the expected type, or undefined (then the error stays a plain Error). */
function field<T extends 'string' | 'number'>(f: Fields, key: string, type: T): (T extends 'string' ? string : number) | undefined {
  const v = f[key];
  return typeof v === type ? v as T extends 'string' ? string : number : undefined;
}

/** `e` saying `message` exactly, where its constructor words its own (the job's words, pid and all, are kept). */
function saying<E extends Error>(e: E, message: string): E {
  if (e.message !== message) {
    Object.defineProperty(e, 'message', { value: message, writable: true, configurable: true, enumerable: false });
    Error.captureStackTrace(e, controlError);
  }
  return e;
}

interface Kind<E extends Error> {
  readonly cls: abstract new (...args: never[]) => E;
  readonly fields: (e: E) => Fields;
  /** undefined: the fields do not fit. */
  readonly rebuild: (message: string, f: Fields) => Error | undefined;
}

const kind = <E extends Error>(k: Kind<E>): Kind<Error> => k as unknown as Kind<Error>;
const none = (): Fields => ({});

/** The public classes a request can fail with (JobHandle's checkpoint, savepoint, stopWithSavepoint, deleteSavepoint), and OutputRefusedError. */
const KINDS: readonly Kind<Error>[] = [
  kind({ cls: NotCheckpointingError, fields: none, rebuild: (m) => new NotCheckpointingError(m) }),
  kind({ cls: SavepointNameError, fields: none, rebuild: (m) => new SavepointNameError(m) }),
  kind({ cls: NoCheckpointError, fields: none, rebuild: (m) => new NoCheckpointError(m) }),
  kind({ cls: StateDirError, fields: none, rebuild: (m) => new StateDirError(m) }),
  kind<CheckpointRefusedError>({
    cls: CheckpointRefusedError,
    fields: (e) => ({ reason: e.reason }),
    rebuild: (m, f) => {
      const reason = field(f, 'reason', 'string');
      return reason === undefined ? undefined : new CheckpointRefusedError(reason as CheckpointRefusedReason, m);
    },
  }),
  kind<CheckpointAbortedError>({
    cls: CheckpointAbortedError,
    fields: (e) => ({ checkpointId: e.checkpointId, reason: e.reason }),
    rebuild: (m, f) => {
      const id = field(f, 'checkpointId', 'number');
      const reason = field(f, 'reason', 'string');
      if (id === undefined || reason === undefined) return undefined;
      const head = `checkpoint ${id} was aborted: `;
      return saying(new CheckpointAbortedError(id, reason as CheckpointAbortReason, m.startsWith(head) ? m.slice(head.length) : m), m);
    },
  }),
  kind<CheckpointNotStartedError>({
    cls: CheckpointNotStartedError,
    fields: (e) => ({ reason: e.reason }),
    rebuild: (m, f) => {
      const reason = field(f, 'reason', 'string');
      return reason === undefined ? undefined : saying(new CheckpointNotStartedError(reason as CheckpointNotStartedReason), m);
    },
  }),
  kind<JobNotRunningError>({
    cls: JobNotRunningError,
    fields: (e) => ({ state: e.state }),
    rebuild: (m, f) => {
      const state = field(f, 'state', 'string');
      return state === undefined ? undefined : new JobNotRunningError(m, state as NotRunningState);
    },
  }),
  kind<OutputRefusedError>({
    cls: OutputRefusedError,
    fields: (e) => ({ reason: e.reason, sink: e.sink }),
    rebuild: (m, f) => {
      const reason = field(f, 'reason', 'string');
      const sink = field(f, 'sink', 'string');
      return reason === undefined || sink === undefined ? undefined : new OutputRefusedError(reason as OutputRefusedReason, sink, m);
    },
  }),
];

/** What the job's side sends for a failed request. */
export function controlErrorBody(e: unknown): ControlErrorBody {
  const err = e instanceof Error ? e : new Error(String(e));
  const k = KINDS.find((x) => err instanceof x.cls);
  return k === undefined ? { name: err.name, message: err.message } : { name: err.name, message: err.message, type: k.cls.name, fields: k.fields(err) };
}

/** The error the asking side rejects with: the class it was, rebuilt, or a plain Error with its name. */
export function controlError(body: ControlErrorBody): Error {
  const k = body.type === undefined ? undefined : KINDS.find((x) => x.cls.name === body.type);
  const fields = body.fields !== null && typeof body.fields === 'object' ? body.fields : {};
  const rebuilt = k?.rebuild(String(body.message), fields);
  if (rebuilt !== undefined) return rebuilt;
  const err = new Error(body.message);
  err.name = body.name;
  return err;
}
