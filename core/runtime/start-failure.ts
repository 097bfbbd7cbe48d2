// Runs on: main thread. Which failures of an attempt's start a restart may fix: those of the services the job
// talks to (a source listing its splits, a sink publishing or clearing, on a Redis or a directory not there yet),
// as opposed to the job's definition or its state directory, which fail a first attempt at once (run.ts).

import { permanent } from './permanent-error.js';

/** Connector errors that say the job's configuration is wrong, whenever they are found. */
const DEFINITION_CODES = new Set(['INVALID_OPTION', 'NO_INPUT_FILES']);

/**
 * Whether `e`, thrown while an attempt started, is a service failing (a restart may find it back): a source's
 * enumerateSplits or restoreSplits, or a sink's commit or recover, that threw anything but a definition error. Not
 * `ownerOf` (a function of the split alone: it throws again), nor a corrupt checkpoint, a state directory that
 * cannot be read or written, a pool that cannot start: those are said at once.
 */
export function transientStartFailure(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const sourceListing = e.name === 'SourceSplitsError' && (e as { hook?: string }).hook !== 'ownerOf';
  if (!sourceListing && e.name !== 'SinkCommitError') return false;
  const cause = e.cause;
  if (!(cause instanceof Error)) return true;
  return !permanent(cause) && !DEFINITION_CODES.has(String((cause as { code?: unknown }).code));
}
