// Runs on: a worker thread. A snapshot that postMessage refused (its structured clone met a function, a symbol, a
// WeakMap: in a sink's transaction, such as a collect sink's records, or in a source's positions) is reported
// as the failure of the operator whose state holds it, not as a bare DataCloneError that names none.

import { OperatorError } from '../core/api/errors.js';
import type { SubtaskSnapshot } from '../core/checkpoint/messages.js';

interface Named { readonly uid: string; readonly op: { readonly name: string } }

/** The error to fail the subtask with, given what posting `snap` threw (anything but a clone failure as it is). */
export function unsendableState(e: unknown, snap: SubtaskSnapshot, chain: readonly Named[], subtask: number, checkpointId: number): unknown {
  if (!(e instanceof Error) || e.name !== 'DataCloneError') return e;
  const at = checkpointId < 0 ? 'its final state' : `its state at checkpoint ${checkpointId}`;
  const explain = (c: unknown): Error => new Error(
    `${at} cannot be sent to the main thread: ${c instanceof Error ? c.message : String(c)} (what a sink commits, a collect sink's records included, and a source's positions must be structured-cloneable: no functions, symbols or WeakMaps)`,
    { cause: e },
  );
  for (const { uid, op } of chain) {
    const part = snap.operators.find((o) => o.uid === uid);
    if (part === undefined) continue;
    try { structuredClone(part.snapshot); } catch (c) { return new OperatorError(op.name, subtask, explain(c)); }
  }
  if (snap.source !== undefined && chain.length > 0) {
    try { structuredClone(snap.source); } catch (c) { return new OperatorError(chain[0]!.op.name, subtask, explain(c)); }
  }
  return e;
}
