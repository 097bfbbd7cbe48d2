// Runs on: main thread. Which failures a restart cannot fix (the run then fails at once instead of restarting).

import { JobDefinitionError, GraphMismatchError } from '../api/errors.js';

/**
 * Errors that a restart cannot fix: the job definition itself is wrong, its state schema does not fit the state
 * it restores, or a source's read positions are gone from the service (a Redis consumer group deleted with its
 * stream) or point into a file that is no longer there (a bounded file source's FileReplacedError): a restart would
 * restore the same checkpoint again. Nor may a restart run beside a sinks' commit that did not return (SinkCommitHungError).
 * Nor can it mend a file sink's damaged record or a part cut short or gone (FileCommitError.permanent), also as a
 * sink commit's cause. Nor a function's restoreState that refused its state (RestoreRefusedError: a rescale it cannot
 * share out): a restart hands it the same state.
 */
export function permanent(e: Error): boolean {
  const inner = e.name === 'OperatorError' ? (e.cause as Error | undefined) : e;
  const name = inner?.name;
  // An operator's JobDefinitionError too (state declared wrongly, a function that returns a promise): found at a
  // record, it is found again at the same record after a restart. So is an option a connector's createReader or
  // createWriter refused (ConnectorOptionError, code INVALID_OPTION, as on the main thread: start-failure.ts).
  return e instanceof JobDefinitionError || e instanceof GraphMismatchError || name === 'JobDefinitionError' || name === 'GraphMismatchError' || name === 'StateSchemaRestoreError' || name === 'RedisGroupMissingError' || name === 'FileReplacedError' || name === 'SinkCommitHungError' || name === 'RestoreRefusedError'
    || (e.name === 'OperatorError' && name === 'ConnectorOptionError' && (inner as { code?: unknown }).code === 'INVALID_OPTION')
    || lastingFileDamage(inner) || (e.name === 'SinkCommitError' && lastingFileDamage(e.cause));
}

/** A file sink's parts or record damaged on disk (FileCommitError.permanent): a restart restores into it again. */
function lastingFileDamage(e: unknown): boolean {
  return e instanceof Error && e.name === 'FileCommitError' && (e as { permanent?: unknown }).permanent === true;
}
