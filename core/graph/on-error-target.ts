// Runs on: every worker thread (the task host, as it builds a chain). Which operator a user gives `.onError` to set
// the error policy an operator runs under: named in the hint a record's failure under 'fail' ends with.

import { ERROR_POLICY_KINDS, type LogicalGraph, type LogicalNode } from './logical-graph.js';

/**
 * The name `.onError` is called on for node `n`: its own, or for an unkeyed co-map's per-input operator ('cm.1')
 * the co-map's ('cm'), the only one the job sees. Undefined for an operator no policy can be set on (windows and
 * their local combiners): its failures say nothing of one.
 */
export function onErrorTarget(graph: LogicalGraph, n: LogicalNode): string | undefined {
  if (!ERROR_POLICY_KINDS.has(n.kind)) return undefined;
  if (n.coInput === undefined) return n.name;
  return graph.nodes.find((u) => u.coFunctions?.includes(n))?.name ?? n.name;
}
