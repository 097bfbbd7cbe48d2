// Runs on: main thread. The second phase of the sinks' two-phase commit: the transactions a completed
// checkpoint holds, published through each sink's `commit`, in checkpoint order. Run when a checkpoint
// completes and again when a job restores it (sinks' commits are idempotent, so a transaction published just
// before a crash is not published twice).

import { chunkPackr } from './chunk-packr.js';
import type { CommitContext, PreparedTransaction, SinkSpec } from '../connectors/sink.js';
import { asCollectSink } from '../connectors/collect-sink.js';
import { SinkCommitError } from '../connectors/errors.js';
import type { Manifest } from './manifest.js';
import type { CheckpointStore } from './store.js';

function emptyTransaction(t: unknown): boolean {
  return t === undefined || t === null || (Array.isArray(t) && t.length === 0);
}

/**
 * Returns whether any sink published anything (so the checkpoint's output is out in the world). `beforePublish`
 * runs once before the first commit when any will publish: the caller's PUBLISHED mark goes first, so a process
 * killed between a sink's commit and the mark cannot leave published output behind an older mark (were the
 * checkpoint then lost, a resume from the one before would publish it again). `warnOnce`: the run's
 * (warn-once.ts), for the sinks' CommitContext.
 */
export async function publishSinkTransactions(
  store: CheckpointStore, m: Manifest, sinks: ReadonlyMap<string, SinkSpec<unknown>>, beforePublish?: () => void,
  warnOnce: CommitContext['warnOnce'] = (_key, message) => { process.emitWarning(message, 'SluiceWarning'); },
): Promise<boolean> {
  const commits: { uid: string; spec: SinkSpec<unknown>; txns: PreparedTransaction[] }[] = [];
  let published = false;
  for (const [uid, spec] of sinks) {
    const parts = m.operators[uid]?.operatorState?.parts;
    if (!spec.commit || !parts) continue;
    const txns: PreparedTransaction[] = [];
    for (const ref of parts) {
      if (ref) txns.push(...(chunkPackr().unpack(await store.getChunk(m.id, ref)) as PreparedTransaction[]));
    }
    // End-of-input transactions (-1) come after every checkpoint's.
    const order = (t: PreparedTransaction): number => (t.checkpointId < 0 ? Infinity : t.checkpointId);
    txns.sort((a, b) => order(a) - order(b) || a.subtask - b.subtask);
    commits.push({ uid, spec, txns });
    // Out in the world: records a collect sink hands its caller are not (that process is gone when a later run
    // reads the mark), nor is an empty transaction (else a run that published nothing is warned about).
    published ||= asCollectSink(spec) === undefined && txns.some((t) => (spec.publishes !== undefined ? asked(uid, spec, 'publishes', () => spec.publishes!(t.transaction)) : !emptyTransaction(t.transaction)));
  }
  if (published) beforePublish?.();
  const stored = commits.length > 0 ? await store.manifestIds() : [];
  const context: Omit<CommitContext, 'sink'> = { checkpointId: m.id, stored: stored.includes(m.id) ? stored : [...stored, m.id], warnOnce };
  for (const { uid, spec, txns } of commits) {
    try {
      await spec.commit!(txns, { ...context, sink: uid });
    } catch (e) {
      // A user's sink threw a bare Error ("broker down"): the job's failure must say which sink, and which checkpoint.
      throw new SinkCommitError(`sink '${uid}' (${spec.kind}): publishing checkpoint ${m.id}'s transactions failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return published;
}

/** A sink's `publishes`, asked of a transaction: one that throws names the sink, as a commit's failure does. */
function asked<R>(uid: string, spec: SinkSpec<unknown>, hook: string, call: () => R): R {
  try {
    return call();
  } catch (e) {
    throw new SinkCommitError(`sink '${uid}' (${spec.kind}): ${hook} failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * A sink's `recover` with no transactions (no checkpoint to restore: what an earlier attempt left is vouched for by
 * nothing); one that throws names the sink, as a commit's failure does.
 */
export async function recoverOrphans(uid: string, spec: SinkSpec<unknown>): Promise<void> {
  try {
    await spec.recover!([]);
  } catch (e) {
    throw new SinkCommitError(`sink '${uid}' (${spec.kind}): recover (clearing what an earlier attempt left, with no checkpoint to restore) failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
