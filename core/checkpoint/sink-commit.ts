// Runs on: main thread. The second phase of the sinks' two-phase commit: the transactions a completed
// checkpoint holds, published through each sink's `commit`, in checkpoint order. Run when a checkpoint
// completes and again when a job restores it (sinks' commits are idempotent, so a transaction published just
// before a crash is not published twice).

import { Packr } from 'msgpackr';
import type { CommitContext, PreparedTransaction, SinkSpec } from '../connectors/sink.js';
import { asCollectSink } from '../connectors/collect-sink.js';
import { SinkCommitError } from '../connectors/errors.js';
import { CorruptCheckpointError, type Manifest } from './manifest.js';
import type { CheckpointStore } from './store.js';
import { readPublishedMark } from './published-mark.js';

/** Where a caller has no run to say it to (tests): Node's warning. */
const emitWarning = (_key: string, message: string): void => { process.emitWarning(message, 'SluiceWarning'); };

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
  warnOnce: CommitContext['warnOnce'] = emitWarning,
): Promise<boolean> {
  // Read before `beforePublish` moves it: what was begun before this commit.
  const context: CommitContext = { checkpointId: m.id, publishedBefore: readPublishedMark(store.dir), warnOnce };
  const commits: { uid: string; spec: SinkSpec<unknown>; txns: PreparedTransaction[] }[] = [];
  let published = false;
  for (const [uid, spec] of sinks) {
    const parts = m.operators[uid]?.operatorState?.parts;
    if (!spec.commit || !parts) continue;
    const txns = await sinkTransactions(store, m, uid);
    // End-of-input transactions (-1) come after every checkpoint's.
    const order = (t: PreparedTransaction): number => (t.checkpointId < 0 ? Infinity : t.checkpointId);
    txns.sort((a, b) => order(a) - order(b) || a.subtask - b.subtask);
    commits.push({ uid, spec, txns });
    // Out in the world: records a collect sink hands its caller are not (that process is gone when a later run
    // reads the mark), nor is an empty transaction (else a run that published nothing is warned about).
    published ||= asCollectSink(spec) === undefined && txns.some((t) => (spec.publishes !== undefined ? asked(uid, spec, 'publishes', () => spec.publishes!(t.transaction)) : !emptyTransaction(t.transaction)));
  }
  if (published) beforePublish?.();
  for (const { uid, spec, txns } of commits) {
    try {
      await spec.commit!(txns, context);
    } catch (e) {
      // A user's sink threw a bare Error ("broker down"): the job's failure must say which sink, and which checkpoint.
      throw new SinkCommitError(`sink '${uid}' (${spec.kind}): publishing checkpoint ${m.id}'s transactions failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  return published;
}

/** The transactions sink `uid`'s subtasks hold in checkpoint `m`, as packed (none: the sink has no state there). */
async function sinkTransactions(store: CheckpointStore, m: Manifest, uid: string): Promise<PreparedTransaction[]> {
  const txns: PreparedTransaction[] = [];
  for (const ref of m.operators[uid]?.operatorState?.parts ?? []) {
    if (ref) txns.push(...(new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(await store.getChunk(m.id, ref)) as PreparedTransaction[]));
  }
  return txns;
}

/**
 * The transactions sink `uid` holds in every checkpoint of `store` (a resume may take any of them): what they name
 * must outlive a clear-up of what an attempt left. One that cannot be read cannot be resumed either: left out.
 */
export async function retainedTransactions(store: CheckpointStore, uid: string): Promise<PreparedTransaction[]> {
  const out: PreparedTransaction[] = [];
  for (const id of await store.manifestIds()) {
    try {
      out.push(...await sinkTransactions(store, await store.readManifest(id), uid));
    } catch (e) {
      if (!(e instanceof CorruptCheckpointError)) throw e;
    }
  }
  return out;
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
 * nothing), told what the checkpoints `store` keeps still need (CommitContext.retained: a fresh run over a state
 * directory of an earlier run, whose checkpoints a later resume may take); one that throws names the sink, as a
 * commit's failure does.
 */
export async function recoverOrphans(uid: string, spec: SinkSpec<unknown>, store?: CheckpointStore, warnOnce: CommitContext['warnOnce'] = emitWarning): Promise<void> {
  try {
    const context: CommitContext = store === undefined
      ? { checkpointId: 0, publishedBefore: 0, warnOnce, retained: [] }
      : { checkpointId: 0, publishedBefore: readPublishedMark(store.dir), warnOnce, retained: await retainedTransactions(store, uid) };
    await spec.recover!([], context);
  } catch (e) {
    throw new SinkCommitError(`sink '${uid}' (${spec.kind}): recover (clearing what an earlier attempt left, with no checkpoint to restore) failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
