// Runs on: any thread. Errors a user sees from the job API and the runtime.

/** A job that cannot run: raised while building or planning, before any thread starts. Names the operator. */
export class JobDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobDefinitionError';
  }
}

/**
 * " after operator 'a'", or " after operators 'a' and 'b'": where in the job a bad builder call was made (build-time
 * messages name the operators they follow).
 */
export function afterOperators(...names: readonly string[]): string {
  return names.length === 1 ? ` after operator '${names[0]}'` : ` after operators ${names.map((n) => `'${n}'`).join(' and ')}`;
}

/**
 * The job module did not load, for a reason said in words: a syntax error (where it is), a TypeScript file that
 * loads as CommonJS. `file` is the job's module; `cause` is Node's (or tsx's) own error.
 */
export class JobLoadError extends Error {
  readonly file: string;
  constructor(message: string, file: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobLoadError';
    this.file = file;
  }
}

/** A savepoint name that cannot be used: not letters, digits, '.', '_' or '-', or taken in the state directory. */
export class SavepointNameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SavepointNameError';
  }
}

/**
 * User code threw: names the operator and subtask, and keeps the original error (and stack) as `cause`. `hook`: the
 * connector call that threw when it was not a record's (`createWriter`, `createReader`, ...), said in the message.
 * `policyOperator`: the operator's 'fail' error policy failed the job for a record, and this is the operator whose
 * `.onError` would have dropped or dead-lettered it instead: the message ends saying so.
 */
export class OperatorError extends Error {
  readonly operator: string;
  readonly subtask: number;
  readonly hook: string | undefined;
  readonly policyOperator: string | undefined;
  constructor(operator: string, subtask: number, cause: unknown, hook?: string, policyOperator?: string) {
    const c = cause instanceof Error ? cause : new Error(String(cause));
    // Errors raised for the operator already open with its name (they can surface unwrapped too): said once.
    const own = `operator '${operator}': `;
    // A record its keyBy (partitionCustom) refused: said as the keyBy's, the operator it feeds being what the user
    // thinks of; the operator before it, which ran the selector and whose policy applies, comes after.
    const said = c instanceof RecordRejectedError && c.into !== undefined
      ? `${c.rejecter} (after '${operator}', subtask ${subtask}) rejected a record: ${c.reason}`
      : `operator '${operator}' (subtask ${subtask}) failed${hook !== undefined ? ` in ${hook}` : ''}: ${c.message.startsWith(own) ? c.message.slice(own.length) : c.message}`;
    super(policyOperator === undefined ? said : `${said}${said.endsWith('.') ? '' : '.'} ${onErrorHint(policyOperator)}`, { cause: c });
    this.name = 'OperatorError';
    this.operator = operator;
    this.subtask = subtask;
    this.hook = hook;
    this.policyOperator = policyOperator;
    // The original stack is what the user needs; keep it visible in the message's stack too.
    this.stack = `${this.name}: ${this.message}\n    caused by: ${c.stack ?? c.message}`;
  }
}

/** The last sentence of a record's failure under the 'fail' error policy: what would have let the job go on. */
function onErrorHint(operator: string): string {
  return `To drop or dead-letter such records instead: .onError('drop' | 'dead-letter') on '${operator}'`;
}

/**
 * A record its operator emitted but the exchange after it could not take: the keyBy's key selector threw on it or
 * returned no key (`at: 'key'`), the partitionCustom's selector or partitioner failed (`at: 'partition'`), or the
 * output's typed codec does not fit it (`at: 'codec'`). Handled by that operator's error policy, like an error of its
 * own function; `cause` is the original error. `into`: the operator the keyBy feeds (and `input`, which of its two).
 */
export class RecordRejectedError extends Error {
  readonly at: 'key' | 'partition' | 'codec';
  readonly into: string | undefined;
  readonly input: 1 | 2 | undefined;
  /** The original error's message. */
  readonly reason: string;
  constructor(at: 'key' | 'partition' | 'codec', cause: unknown, into?: { operator: string; input?: 1 | 2 }) {
    const c = cause instanceof Error ? cause : new Error(String(cause));
    super(`${rejecter(at, into?.operator, into?.input)} rejected a record: ${c.message}`, { cause: c });
    this.name = 'RecordRejectedError';
    this.at = at;
    this.into = at === 'codec' ? undefined : into?.operator;
    this.input = this.into === undefined ? undefined : into?.input;
    this.reason = c.message;
  }

  /** What rejected it, in words: "the key selector of the keyBy into 'keyed'" ("into the second input of 'joined'"). */
  get rejecter(): string {
    return rejecter(this.at, this.into, this.input);
  }
}

function rejecter(at: 'key' | 'partition' | 'codec', into: string | undefined, input: 1 | 2 | undefined): string {
  if (at === 'codec') return 'the codec of its output';
  const exchange = at === 'key' ? 'the key selector of the keyBy' : 'the partitionCustom';
  if (into === undefined) return `${exchange} after it`;
  return `${exchange} into ${input === undefined ? '' : `the ${input === 1 ? 'first' : 'second'} input of `}'${into}'`;
}

/** The graph a worker built from the job module differs from the main thread's. */
export class GraphMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphMismatchError';
  }
}

/** A worker thread died (out of memory, crash, process.exit) while running tasks. */
export class WorkerDiedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WorkerDiedError';
  }
}

/** The job was cancelled before it finished. */
export class JobCancelledError extends Error {
  constructor(message = 'job was cancelled') {
    super(message);
    this.name = 'JobCancelledError';
  }
}

/** How a job that is not running ended (or is ending): JobNotRunningError.state. */
export type NotRunningState = 'cancelling' | 'cancelled' | 'stopping' | 'stopped' | 'finished' | 'failed';

/**
 * A checkpoint, savepoint or stop with savepoint asked of a job that has ended, or is being cancelled or stopped:
 * nothing was taken. `state` says how the job ended; the message says it in words (a failure's message too). A
 * handle's deleteSavepoint once the job has ended (its state directory closed) too: the message says how to delete
 * it without the job.
 */
export class JobNotRunningError extends Error {
  readonly state: NotRunningState;
  constructor(message: string, state: NotRunningState, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JobNotRunningError';
    this.state = state;
  }
}

/**
 * A checkpoint, savepoint, stop with savepoint, savepoint delete or control socket asked of a job that does not
 * checkpoint (no state directory): asking again never helps, unlike a CheckpointRefusedError. The message says how
 * to turn checkpointing on.
 */
export class NotCheckpointingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotCheckpointingError';
  }
}
