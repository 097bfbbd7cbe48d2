// Runs on: main thread (the build-time check) and the worker thread of each aligned source subtask (the hold).
// Watermark alignment between sources (`WatermarkStrategy.withWatermarkAlignment`, Flink's FLIP-182): a source
// whose watermark is more than maxDrift ahead of the lowest watermark of its group stops reading until the others
// catch up. Without it, a source with less work per event of time (say auctions beside bids) runs ahead for the
// whole job, and every operator that joins the two holds the difference in state.
//
// Each aligned source subtask publishes its watermark in the job's alignment buffer (shm/layout.ts) and reads its
// group's there. A held source reads nothing until its group moves on: a source that publishes rings the threads
// of the others, and a held one looks again at least every updateIntervalMs. It is not idle for that (an idle
// input would stop holding back downstream watermarks while it still has data).

import { JobDefinitionError } from '../api/errors.js';
import type { LogicalGraph, LogicalNode } from '../graph/logical-graph.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';
import { ALIGNMENT_EXCLUDED } from '../../shm/layout.js';
import type { Doorbell } from '../../shm/doorbell.js';
import { MIN_WATERMARK } from './watermark.js';
import type { WatermarkAlignment, WatermarkStrategy } from './watermark-strategy.js';

function alignmentOf(n: LogicalNode): WatermarkAlignment | undefined {
  return n.kind === 'timestamps' ? (n.spec as WatermarkStrategy<unknown>).alignment : undefined;
}

/**
 * Throws, naming the operator, if an aligned watermark strategy is not chained right behind its source: only
 * there can it hold the source back.
 */
export function checkWatermarkAlignment(graph: LogicalGraph, plan: PhysicalPlan): void {
  for (const n of graph.nodes) {
    if (alignmentOf(n) === undefined) continue;
    const task = plan.tasks.find((t) => t.nodeIds.includes(n.id))!;
    const from = graph.nodes[n.inputs[0]!.from]!;
    if (task.nodeIds[1] !== n.id || graph.nodes[task.nodeIds[0]!]!.kind !== 'source') {
      const why = from.kind !== 'source'
        ? `it follows '${from.name}' (${from.kind}), not a source`
        : 'it is not chained to its source (same parallelism, forward, chaining on)';
      throw new JobDefinitionError(`withWatermarkAlignment: operator '${n.name}' must come right after its source, chained to it; ${why}`);
    }
  }
}

/** The alignment of placement `i`'s source: its task's second operator's, if any. */
function alignmentAt(graph: LogicalGraph, plan: PhysicalPlan, i: number): WatermarkAlignment | undefined {
  const second = plan.tasks[plan.placements[i]!.task]!.nodeIds[1];
  return second === undefined ? undefined : alignmentOf(graph.nodes[second]!);
}

/** Alignment slots (plan placement indices) of every aligned source subtask, by group. */
function groups(graph: LogicalGraph, plan: PhysicalPlan): Map<string, number[]> {
  const byGroup = new Map<string, number[]>();
  plan.placements.forEach((_, i) => {
    const a = alignmentAt(graph, plan, i);
    if (a === undefined) return;
    let g = byGroup.get(a.group);
    if (g === undefined) byGroup.set(a.group, g = []);
    g.push(i);
  });
  return byGroup;
}

/**
 * The hold of one aligned source subtask. Its slot is written by this subtask's thread alone; the others of the
 * group are read with Atomics (whole 64-bit values: a plain Float64 read may tear).
 */
export class SourceAlignment {
  private published = Number.NaN;

  constructor(
    private readonly slots: BigInt64Array,
    private readonly own: number,
    private readonly members: readonly number[],
    readonly maxDriftMs: number,
    readonly updateIntervalMs: number,
    /** The doorbells of the threads that run the group's other sources (not this one's). */
    private readonly bells: readonly Doorbell[] = [],
  ) {}

  /**
   * The hold for placement `placement`, or undefined when its task's second operator has no alignment.
   * `buffer` is the job's alignment buffer.
   */
  static forPlacement(graph: LogicalGraph, plan: PhysicalPlan, placement: number, buffer: SharedArrayBuffer, bellOf: (thread: number) => Doorbell): SourceAlignment | undefined {
    const a = alignmentAt(graph, plan, placement);
    if (a === undefined) return undefined;
    const members = groups(graph, plan).get(a.group)!;
    const own = plan.placements[placement]!.thread;
    const threads = new Set(members.map((m) => plan.placements[m]!.thread).filter((t) => t !== own));
    return new SourceAlignment(new BigInt64Array(buffer), placement, members, a.maxDriftMs, a.updateIntervalMs, [...threads].map(bellOf));
  }

  /** Publishes this source's watermark, or that it holds no one back (idle, or its input ended). */
  publish(watermark: number, excluded: boolean): void {
    const v = excluded ? ALIGNMENT_EXCLUDED : watermark;
    if (v === this.published) return;
    this.published = v;
    Atomics.store(this.slots, this.own, BigInt(v));
    // Store, then ring (the doorbell's protocol): a held source that armed its doorbell before this store either
    // sees the new value when it checks before parking, or is woken. Its own thread checks every round anyway.
    for (const b of this.bells) b.ring();
  }

  /** The lowest watermark of the group's other sources that count (MIN_WATERMARK before a first one). */
  groupLow(): number {
    let low = ALIGNMENT_EXCLUDED;
    for (const m of this.members) {
      if (m === this.own) continue;
      const w = Number(Atomics.load(this.slots, m));
      if (w < low) low = w;
    }
    return low;
  }

  /** Whether a source at `watermark` must wait: it is more than maxDrift ahead of a source of its group. */
  holds(watermark: number): boolean {
    if (watermark === MIN_WATERMARK) return false;
    const low = this.groupLow();
    return low !== ALIGNMENT_EXCLUDED && watermark > low + this.maxDriftMs;
  }
}
