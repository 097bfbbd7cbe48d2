// Runs on: main thread (and the graph walks on worker threads). Backpressure from a slow reader of a collect sink
// (handle.output) in a checkpointed run. Records reach the reader only when a checkpoint commits them, and a
// checkpoint completes only once its barriers have passed the sink: a sink that refused input would hold back the
// very barrier whose commit lets its reader go on. So the sources upstream of the sink are held instead: they read
// nothing, but still send barriers, so what is in flight drains, checkpoints complete, and the reader gets it.
//
// What is bounded is what the sink has taken and the reader has not read, committed or not: bounding only committed
// unread records let the sources run free until a commit came, and a fast source filled one checkpoint with
// millions of records (gigabytes, and a commit that blocked the main thread for tens of seconds). The count grows on
// the sink's threads with no main-thread event, so it is kept there and compared where the sources look
// (shm/layout.ts, "Output hold"): the sink's subtasks count records taken in the attempt (TAKEN), the main thread
// sets the TAKEN at which the sources stop (LIMIT), and a source subtask reads nothing while a collect sink
// downstream of it has reached its limit. Taken and unread, at any time:
//   unread (the reader's queue) + TAKEN - committed (records of this attempt's transactions published so far)
// Commits move records from the second term to the first, so between two reads the limit need not move: it is
// set at a mark (an attempt or the reader starts: limit = bound - unread + committed, read counting from there),
// then raised by what the reader reads, each half bound (let go at half of it, as without checkpoints). An attempt
// counts from 0, after the checkpoint it restored was published: what a failed attempt took and never committed is
// never delivered, and is forgotten with its buffer. Sources overshoot by what is in flight between them and the
// sink plus a batch read each. Output that processing-time timers make on their own is not held (only source reads
// are). Sources that feed only other sinks run on.

import { OUTPUT_HOLD_LIMIT, OUTPUT_HOLD_ON, OUTPUT_HOLD_SLOTS, OUTPUT_HOLD_TAKEN } from '../../shm/layout.js';
import { asCollectSink } from '../connectors/collect-sink.js';
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

/** Collect sinks downstream of source node `source`: the lines its subtasks look at (worker threads). */
export function heldBySinks(graph: LogicalGraph, source: number): number[] {
  return graph.nodes.filter((n) => asCollectSink(n.sink) !== undefined && upstreamSources(graph, n.id).includes(source)).map((n) => n.id);
}

/** The run's readers that hold sources, told to each attempt's threads in turn. */
export class OutputHolds {
  private readonly readers = new Map<number, OutputHold>();
  private attempt: { lines: Int32Array; ring: () => void; publishedAt: Map<number, number> } | undefined;

  /** `published`: records collect sink `sink` has published over the run (CollectSinkSpec.published). */
  constructor(private readonly sinks: readonly number[], private readonly published: (sink: number) => number) {}

  /** A new attempt, its counts at 0, before its threads start: readers still behind hold its sources from the start. */
  attach(lines: Int32Array, ring: () => void): void {
    this.attempt = { lines, ring, publishedAt: new Map(this.sinks.map((s) => [s, this.published(s)])) };
    for (const h of this.readers.values()) h.mark();
  }

  detach(): void {
    this.attempt = undefined;
  }

  /** The attempt's buffer and `sink`'s line in it, with what the sink has published in this attempt; undefined between attempts. */
  line(sink: number): { lines: Int32Array; base: number; committed: number; ring: () => void } | undefined {
    const a = this.attempt;
    if (a === undefined) return undefined;
    return { lines: a.lines, base: sink * OUTPUT_HOLD_SLOTS, committed: this.published(sink) - a.publishedAt.get(sink)!, ring: a.ring };
  }

  add(sink: number, hold: OutputHold): void {
    this.readers.set(sink, hold);
  }

  remove(sink: number, hold: OutputHold): void {
    if (this.readers.get(sink) === hold) this.readers.delete(sink);
  }
}

/** One reader's side: holds the sources once `bound` records are taken and unread; raises the limit each half bound read. */
export class OutputHold implements Flow {
  /** Records the reader has read. */
  private read = 0;
  /** Records queued unread, as the stream last said. */
  private unread = 0;
  /** The limit is `read + offset` (in the attempt's TAKEN) until the next mark. */
  private offset = 0;
  /** `read` when the limit was last set. */
  private grantedAt = 0;
  private stopped = false;

  constructor(private readonly holds: OutputHolds, private readonly node: number, private readonly bound: number) {}

  start(): void {
    this.holds.add(this.node, this);
    this.mark();
  }

  /** No new limit: a commit adds to the unread what it takes from the uncommitted. */
  queued(unread: number): void {
    this.unread = unread;
  }

  took(unread: number): void {
    this.read++;
    this.unread = unread;
    if (this.read - this.grantedAt >= Math.max(1, Math.floor(this.bound / 2))) this.grant();
  }

  stop(): void {
    this.stopped = true;
    this.holds.remove(this.node, this);
    const l = this.holds.line(this.node);
    if (l === undefined) return;
    Atomics.store(l.lines, l.base + OUTPUT_HOLD_ON, 0);
    // After the store: a source parked on this sink wakes and sees it off (rung before, it could re-park on it).
    l.ring();
  }

  /** The sources upstream read nothing now. */
  holding(): boolean {
    const l = this.holds.line(this.node);
    return l !== undefined && Atomics.load(l.lines, l.base + OUTPUT_HOLD_ON) === 1
      && ((Atomics.load(l.lines, l.base + OUTPUT_HOLD_TAKEN) - Atomics.load(l.lines, l.base + OUTPUT_HOLD_LIMIT)) | 0) >= 0;
  }

  /** The reader or an attempt starts: the limit from what is unread and what the attempt's sink took uncommitted. */
  mark(): void {
    if (this.stopped) return;
    const l = this.holds.line(this.node);
    if (l === undefined) return;
    this.offset = this.bound - this.unread + l.committed - this.read;
    this.grantedAt = this.read;
    // The limit before ON: a source that sees ON sees this limit, not the fresh buffer's 0 or a stopped reader's.
    // No ring: ON was 0 (a fresh attempt, or no reader), so no source was held on this line.
    Atomics.store(l.lines, l.base + OUTPUT_HOLD_LIMIT, (this.read + this.offset) | 0);
    Atomics.store(l.lines, l.base + OUTPUT_HOLD_ON, 1);
  }

  private grant(): void {
    this.grantedAt = this.read;
    const l = this.holds.line(this.node);
    if (l === undefined) return;
    const before = Atomics.load(l.lines, l.base + OUTPUT_HOLD_LIMIT);
    Atomics.store(l.lines, l.base + OUTPUT_HOLD_LIMIT, (this.read + this.offset) | 0);
    // Sources that saw TAKEN at the old limit may be parked. Stored first, then checked: a source loads TAKEN
    // before LIMIT (Subtask.outputHeld), so one that read the old limit read a TAKEN no larger than the one loaded
    // here, which then has reached the old limit too, and this rings it.
    if (((before - Atomics.load(l.lines, l.base + OUTPUT_HOLD_TAKEN)) | 0) <= 0) l.ring();
  }
}
