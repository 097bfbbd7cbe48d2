// Runs on: main thread (the checkpoint coordinator). The life cycle of a checkpoint as a small state machine: each
// transition is a function from a phase to the next one, or undefined where the event is ignored in that phase.
// The coordinator does the I/O around them (coordinator.ts).
//
//   COLLECTING ──every ack in──▶ WRITING_MANIFEST ──manifest committed──▶ PUBLISHING ──sinks, retention done──▶ DONE
//       │                               │
//       │ timeout, decline, stop        │ write failed
//       ▼                               ▼
//    ABORTED                         ABORTED
//
// Every ack in: every subtask acknowledged the checkpoint or reported its final state. Acks of another id (one
// aborted before) never reach these functions: their chunks only extend the chains. Once every ack is in, the
// checkpoint's timer is cleared and a stop lets it finish (finish() waits for it; drain() until its manifest is
// committed, then stopGraceMs more). A decline then is ignored too: no worker sends one (one that declines never acks; one that ended declines nothing), and aborting
// a checkpoint whose manifest may be committed would make it both aborted and completed.
//
// The coordinator itself: RUNNING ──stop() (close(), finish())──▶ STOPPED, never back. One checkpoint is in flight
// at a time (COLLECTING to PUBLISHING): a trigger meanwhile waits in a queue, begun once it is DONE or ABORTED;
// once stopped, triggers are refused and queued ones rejected.

export type CheckpointPhase = 'collecting' | 'writing-manifest' | 'publishing' | 'done' | 'aborted';

export const COLLECTING = 'collecting';
/** Every ack is in: the manifest is built, the chunk writes are awaited, the manifest is committed. */
export const WRITING_MANIFEST = 'writing-manifest';
/** The manifest is committed (the checkpoint is what a restart restores): sinks publish, retention runs. */
export const PUBLISHING = 'publishing';
/** The next checkpoint may begin (only now: retention never races a later checkpoint's chunks). */
export const DONE = 'done';
export const ABORTED = 'aborted';

/** Why a checkpoint is given up. */
export type AbortCause = 'timeout' | 'decline' | 'stop' | 'write-failed';

/** Still the checkpoint in flight: triggers wait for it, final-state reports of subtasks that acked it too. */
export function inFlight(p: CheckpointPhase): boolean {
  return p === COLLECTING || p === WRITING_MANIFEST || p === PUBLISHING;
}

/** Every subtask acknowledged or ended. Checked again at later acks and final states: only the first counts. */
export function onEveryAckIn(p: CheckpointPhase): CheckpointPhase | undefined {
  return p === COLLECTING ? WRITING_MANIFEST : undefined;
}

/** The manifest is in the store. */
export function onManifestCommitted(p: CheckpointPhase): CheckpointPhase | undefined {
  return p === WRITING_MANIFEST ? PUBLISHING : undefined;
}

/** Sinks published and retention ran. */
export function onPublished(p: CheckpointPhase): CheckpointPhase | undefined {
  return p === PUBLISHING ? DONE : undefined;
}

/**
 * Gives the checkpoint up. A stop lets one whose acks are all in finish (its state is complete; only the writes
 * remain); its timer is cleared by then, so a timeout cannot come. A write failure comes from writing the manifest
 * only (a failed sink commit or retention fails the job, not the checkpoint).
 */
export function onAbort(p: CheckpointPhase, cause: AbortCause): CheckpointPhase | undefined {
  switch (p) {
    case COLLECTING: return cause === 'write-failed' ? undefined : ABORTED;
    case WRITING_MANIFEST: return cause === 'write-failed' ? ABORTED : undefined;
    default: return undefined;
  }
}

/**
 * A subtask that acknowledged the checkpoint in flight reported its final state: the report waits until the
 * checkpoint ends (its chunks hold state after the barrier; the manifest must hold the state at the barrier).
 */
export function finalStateWaits(p: CheckpointPhase | undefined, acked: boolean): boolean {
  return p !== undefined && inFlight(p) && acked;
}

/** What a trigger does, given whether the coordinator stopped and the phase of the checkpoint in flight, if any. */
export function onTrigger(stopped: boolean, current: CheckpointPhase | undefined): 'begin' | 'queue' | 'refuse' {
  if (stopped) return 'refuse';
  return current !== undefined && inFlight(current) ? 'queue' : 'begin';
}
