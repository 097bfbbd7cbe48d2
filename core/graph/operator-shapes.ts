// Runs on: main thread. What each operator of a job is, by uid, as a checkpoint records it: its kind, what feeds it
// (by the feeding operators' uids, so an operator added elsewhere changes nothing here) and its sources', sinks',
// codec's and state's fingerprints; not its parallelism (a rescale is a legitimate resume). A resume compares the
// checkpoint's with the job's: another job's state directory whose uids partly match restored in silence.
// The fingerprints hold options, not user code, so a legitimate upgrade (a source's count changed) differs too:
// what differs is said, never refused.

import type { LogicalGraph, LogicalNode } from './logical-graph.js';

const uidOf = (n: LogicalNode): string => n.uid ?? n.name;

/** Each operator's shape, by uid. */
export function operatorShapes(graph: LogicalGraph): Record<string, string> {
  const out: Record<string, string> = {};
  for (const n of graph.nodes) {
    out[uidOf(n)] = [
      n.kind,
      n.inputs.map((e) => `${uidOf(graph.nodes[e.from]!)}:${e.partitioner}${e.tag === undefined ? '' : `#${e.tag}`}`).join(','),
      n.source?.fingerprint ?? '', n.sink?.fingerprint ?? '', n.codec?.fingerprint ?? 'msgpackr', n.specFingerprint ?? '',
      ...(n.errorPolicy === undefined ? [] : [`onError=${n.errorPolicy}`]),
    ].join('|');
  }
  return out;
}

/**
 * The first operator of the job (in graph order) whose shape differs from the checkpoint's, or that the checkpoint
 * does not have while it has others of the job; undefined when every one is the same.
 */
export function firstShapeDifference(stored: Readonly<Record<string, string>>, graph: LogicalGraph): string | undefined {
  const now = operatorShapes(graph);
  for (const n of graph.nodes) {
    const uid = uidOf(n);
    const was = stored[uid];
    if (was === now[uid]) continue;
    return was === undefined
      ? `operator '${uid}' is not in it`
      : `operator '${uid}' was [${was}] there and is [${now[uid]}] in this job`;
  }
  const gone = Object.keys(stored).find((uid) => !(uid in now));
  return gone === undefined ? undefined : `it has operator '${gone}', which this job does not`;
}
