// Runs on: main thread. The second phase of the sinks' two-phase commit: the transactions a completed
// checkpoint holds, published through each sink's `commit`, in checkpoint order. Run when a checkpoint
// completes and again when a job restores it (sinks' commits are idempotent, so a transaction published just
// before a crash is not published twice).

import { Packr } from 'msgpackr';
import { asCollectSink, type PreparedTransaction, type SinkSpec } from '../connectors/sink.js';
import type { Manifest } from './manifest.js';
import type { CheckpointStore } from './store.js';

function emptyTransaction(t: unknown): boolean {
  return t === undefined || t === null || (Array.isArray(t) && t.length === 0);
}

/** Returns whether any sink published anything (so the checkpoint's output is out in the world). */
export async function publishSinkTransactions(store: CheckpointStore, m: Manifest, sinks: ReadonlyMap<string, SinkSpec<unknown>>): Promise<boolean> {
  let published = false;
  for (const [uid, spec] of sinks) {
    const parts = m.operators[uid]?.operatorState?.parts;
    if (!spec.commit || !parts) continue;
    const txns: PreparedTransaction[] = [];
    for (const ref of parts) {
      if (ref) txns.push(...(new Packr({ useRecords: true, sequential: true, moreTypes: true }).unpack(await store.getChunk(m.id, ref)) as PreparedTransaction[]));
    }
    // End-of-input transactions (-1) come after every checkpoint's.
    const order = (t: PreparedTransaction): number => (t.checkpointId < 0 ? Infinity : t.checkpointId);
    txns.sort((a, b) => order(a) - order(b) || a.subtask - b.subtask);
    await spec.commit(txns);
    // Out in the world: records a collect sink hands its caller are not (that process is gone when a later run
    // reads the mark), nor is an empty transaction (else a run that published nothing is warned about).
    published ||= asCollectSink(spec) === undefined && txns.some((t) => (spec.publishes !== undefined ? spec.publishes(t.transaction) : !emptyTransaction(t.transaction)));
  }
  return published;
}
