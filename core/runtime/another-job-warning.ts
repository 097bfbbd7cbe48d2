// Runs on: main thread. A resume whose checkpoint was written by a job of another shape (operator-shapes.ts): the
// refusal of another job's state directory fires only when none of its state is this job's, so one whose uids
// partly match was restored in silence (a review lost 50,505 of 80,000 records, exit 0). A changed job differs
// too (an upgrade, a source's options), so it is said, not refused.

import { firstShapeDifference } from '../graph/operator-shapes.js';
import type { LogicalGraph } from '../graph/logical-graph.js';
import type { Manifest } from '../checkpoint/manifest.js';

export function warnAnotherJob(m: Manifest, graph: LogicalGraph, stateDir: string, warn: (message: string) => void): void {
  // Older manifests have no shapes: nothing to compare.
  if (m.operatorShapes === undefined) return;
  const diff = firstShapeDifference(m.operatorShapes, graph);
  if (diff === undefined) return;
  warn(`resuming from checkpoint ${m.id}${m.name !== undefined ? ` (savepoint '${m.name}')` : ''} in ${stateDir}, written by a job that differs from this one: ${diff}. `
    + 'If it is another job\'s state directory, stop this run: its state goes into the operators whose uids match (each job needs a state directory of its own); after a change to this job, this is expected');
}
