// Runs on: main thread. The watch on collect sinks that no one reads behind a source that never ends: they keep
// every record for result.collected, so the run warns before the heap runs out. A timer of the run's, not an attempt's.

import type { LogicalGraph } from '../graph/logical-graph.js';
import type { JobMetrics } from './metrics.js';
import { upstreamSources } from './output-hold.js';
import { asCollectSink } from '../connectors/collect-sink.js';

/** Records the subtasks of sink `name` have taken over the run (live metrics). */
export function sinkTaken(m: JobMetrics, name: string): number {
  return m.operators.filter((o) => o.operator === name).reduce((n, o) => n + o.recordsIn, 0);
}

/** How often, and from how many records held, a collect sink no one reads behind an endless source is warned about. */
const COLLECT_WATCH_MS = 2000;
const COLLECT_WARN_RECORDS = 1_000_000;

/**
 * Warns, once per sink, when a collect sink fed by a source that never ends has kept COLLECT_WARN_RECORDS records
 * in memory for `result.collected` and nothing has read it: the heap would grow until the process died.
 */
export function watchUnreadCollects(graph: LogicalGraph, read: ReadonlyMap<number, number | undefined>, metrics: () => JobMetrics, warn: (m: string) => void): ReturnType<typeof setInterval> | undefined {
  const endless = (node: number): string | undefined => {
    const src = upstreamSources(graph, node).map((s) => graph.nodes[s]!).find((n) => n.source !== undefined && !n.source.bounded);
    return src?.name;
  };
  const watched = graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined).map((n) => ({ node: n.id, name: n.name, source: endless(n.id) })).filter((w) => w.source !== undefined);
  if (watched.length === 0) return undefined;
  const warned = new Set<number>();
  const t = setInterval(() => {
    let m: JobMetrics;
    try { m = metrics(); } catch { return; /* not started yet */ }
    for (const w of watched) {
      if (warned.has(w.node)) continue;
      const from = read.has(w.node) ? read.get(w.node) : 0;
      if (from === undefined) continue;
      const held = sinkTaken(m, w.name) - from;
      if (held < COLLECT_WARN_RECORDS) continue;
      warned.add(w.node);
      warn(`collect sink '${w.name}' has kept ${held.toLocaleString('en-US')} records in memory for result.collected, and source '${w.source}' never ends: read them as they come with handle.output('${w.name}'), or write to another sink (the heap grows until the job ends)`);
    }
  }, COLLECT_WATCH_MS);
  t.unref();
  return t;
}
