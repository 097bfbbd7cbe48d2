// Runs on: main thread. Backpressure from a slow reader of a collect sink (handle.output) in a checkpointed run.
// Records reach the reader only when a checkpoint commits them, and a checkpoint completes only once its barriers
// have passed the sink: a sink that refused input would hold back the very barrier whose commit lets its reader go
// on. So the sources upstream of the sink are held instead (shm/layout.ts, "Output hold"): they read nothing while
// a reader has `bound` committed records unread, but still send barriers, so what is in flight drains, checkpoints
// complete, and the reader gets it. Unread records stay under the bound plus about two checkpoints' records: the
// commit that crossed it, and what the sources read until they were told (committed next). Output that
// processing-time timers make on their own is not held (only source reads are). Sources that feed only other
// sinks run on.

import type { LogicalGraph } from '../graph/logical-graph.js';
import type { Flow } from './output-stream.js';

/** Source nodes upstream of `node`: every path of input edges back to a source. */
export function upstreamSources(graph: LogicalGraph, node: number): number[] {
  const seen = new Set<number>();
  const sources: number[] = [];
  const stack = [node];
  while (stack.length > 0) {
    const n = graph.nodes[stack.pop()!]!;
    if (seen.has(n.id)) continue;
    seen.add(n.id);
    if (n.kind === 'source') sources.push(n.id);
    for (const e of n.inputs) stack.push(e.from);
  }
  return sources.sort((a, b) => a - b);
}

/**
 * The run's holds: which collect sinks' readers are behind, and per source node how many of those sinks it feeds,
 * told to each attempt's threads in turn.
 */
export class OutputHolds {
  private readonly holding = new Set<number>();
  /** Per source node: sinks in `holding` downstream of it. */
  private readonly counts = new Map<number, number>();
  private attempt: { slots: Int32Array; ring: () => void } | undefined;

  constructor(private readonly upstream: (sink: number) => readonly number[]) {}

  /** A new attempt: its sources start held if a reader is still behind (readers outlive restarts). */
  attach(slots: Int32Array, ring: () => void): void {
    this.attempt = { slots, ring };
    for (const [source, n] of this.counts) Atomics.store(slots, source, n);
  }

  detach(): void {
    this.attempt = undefined;
  }

  has(sink: number): boolean {
    return this.holding.has(sink);
  }

  set(sink: number, hold: boolean): void {
    if (hold === this.holding.has(sink)) return;
    if (hold) this.holding.add(sink);
    else this.holding.delete(sink);
    let released = false;
    for (const source of this.upstream(sink)) {
      const n = (this.counts.get(source) ?? 0) + (hold ? 1 : -1);
      this.counts.set(source, n);
      if (this.attempt !== undefined) Atomics.store(this.attempt.slots, source, n);
      if (n === 0) released = true;
    }
    // Released: held sources may be parked, and nothing else would ring them. A source that read its slot just
    // before this store parks only if its doorbell's sequence is unchanged since it looked, which this ring changes.
    if (released) this.attempt?.ring();
  }
}

/** One reader's side: holds the sources once `bound` records wait unread, lets go at half of it (fewer flips). */
export class OutputHold implements Flow {
  constructor(private readonly holds: OutputHolds, private readonly node: number, private readonly bound: number) {}

  start(): void {}

  queued(unread: number): void {
    if (unread >= this.bound) this.holds.set(this.node, true);
  }

  took(unread: number): void {
    if (unread <= Math.floor(this.bound / 2)) this.holds.set(this.node, false);
  }

  stop(): void {
    this.holds.set(this.node, false);
  }

  holding(): boolean {
    return this.holds.has(this.node);
  }
}
