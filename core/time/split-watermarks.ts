// Runs on: the worker thread of a source subtask whose watermark strategy runs per split (and the main thread, for
// the build-time check).
//
// Per-split watermarks (Flink's split-aware watermark generation, as Kafka's per-partition watermarks): a source
// subtask that reads several splits interleaved (Redis streams, followed files) runs one generator per split, and
// its watermark is the lowest of its active splits'. With one generator for them all, a split far ahead in event
// time (live) would make every record of one behind it (a backlog) late. A split is active until it ends or is
// idle (the strategy's `withIdleness`, per split); a subtask with no active split is idle. Idleness goes by a clock
// that stands still while the source is held back (backpressure, alignment), as Flink's pausable relative clock:
// a split that could not be read is not idle. Per-split state is not checkpointed (nor is it in Flink).

import { JobDefinitionError } from '../api/errors.js';
import type { LogicalGraph } from '../graph/logical-graph.js';
import type { PhysicalPlan } from '../graph/physical-plan.js';
import { MAX_WATERMARK, MIN_WATERMARK } from './watermark.js';
import type { WatermarkGenerator, WatermarkOutput, WatermarkStrategy } from './watermark-strategy.js';

/** One split's event time: its own generator and the watermark it has got to. */
class SplitOutput<T> implements WatermarkOutput {
  watermark = MIN_WATERMARK;
  idle = false;
  /** Records of the split, and their count at the last idleness check. */
  records = 0;
  recordsSeen = 0;
  /** The idleness clock when it last had a record (or was added). */
  lastActive: number;

  constructor(readonly id: string, readonly generator: WatermarkGenerator<T>, private readonly owner: SplitWatermarks<T>, now: number) {
    this.lastActive = now;
  }

  emitWatermark(watermark: number): void {
    if (!(watermark > this.watermark)) return;
    this.watermark = Math.min(Math.floor(watermark), MAX_WATERMARK);
    if (!this.idle) this.owner.moved = true;
  }
}

/**
 * The generator of a source subtask with per-split watermarks: it feeds each record to its split's generator and
 * emits the lowest watermark of the active splits (the operator above keeps it monotonic).
 */
export class SplitWatermarks<T> implements WatermarkGenerator<T> {
  private readonly splits = new Map<string, SplitOutput<T>>();
  /** The split the next records are from (undefined: none said yet, such as records held over a restore). */
  private current: SplitOutput<T> | undefined;
  private readonly idleTimeoutMs: number | undefined;
  /** The idleness clock at the last check (where a split added since starts). */
  private now = 0;
  /** @internal A split's watermark moved while it was fed a record (a generator that emits on events). */
  moved = false;

  constructor(private readonly strategy: WatermarkStrategy<T>) {
    this.idleTimeoutMs = strategy.idleTimeoutMs;
  }

  add(id: string): void {
    if (!this.splits.has(id)) this.splits.set(id, new SplitOutput(id, this.strategy.createGenerator(), this, this.now));
  }

  switchTo(id: string): void {
    this.add(id);
    this.current = this.splits.get(id);
  }

  end(id: string): void {
    const s = this.splits.get(id);
    if (s === undefined) return;
    this.splits.delete(id);
    if (this.current === s) this.current = undefined;
  }

  /**
   * Records of no split said (held over a restore) keep their timestamp and move no split's event time: they were
   * read before the restored position, so the restored watermark already covers them.
   */
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void {
    const s = this.current;
    if (s === undefined) return;
    s.records++;
    // Back from idle: it holds the others back again from its next watermark (the combined one only goes forward).
    if (s.idle) s.idle = false;
    s.generator.onEvent(event, timestamp, s);
    if (this.moved) {
      this.moved = false;
      const low = this.low();
      if (low === low) output.emitWatermark(low);
    }
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    for (const s of this.splits.values()) if (!s.idle) s.generator.onPeriodicEmit(s);
    this.moved = false;
    const low = this.low();
    if (low === low) output.emitWatermark(low);
  }

  /**
   * Marks idle the splits that had no record for the strategy's idle timeout, by `now` (ms on a clock that stands
   * still while the source is held back).
   */
  checkIdleness(now: number): void {
    this.now = now;
    const timeout = this.idleTimeoutMs;
    for (const s of this.splits.values()) {
      if (s.records !== s.recordsSeen) {
        s.recordsSeen = s.records;
        s.lastActive = now;
      } else if (timeout !== undefined && !s.idle && now - s.lastActive >= timeout) {
        s.idle = true;
      }
    }
  }

  /** Whether some split holds event time back (neither idle nor ended): else the subtask is idle. */
  get active(): boolean {
    for (const s of this.splits.values()) if (!s.idle) return true;
    return false;
  }

  /** The lowest watermark of the active splits; NaN when none is active. */
  low(): number {
    let low = Number.NaN;
    for (const s of this.splits.values()) if (!s.idle && !(s.watermark >= low)) low = s.watermark;
    return low;
  }

  /** What low() would be after a periodic emit now, without emitting (an aligned source's hold asks before each read). */
  probeLow(): number {
    const probe = this.probe;
    let low = Number.NaN;
    for (const s of this.splits.values()) {
      if (s.idle) continue;
      probe.value = s.watermark;
      s.generator.onPeriodicEmit(probe);
      if (!(probe.value >= low)) low = probe.value;
    }
    return low;
  }

  private readonly probe = { value: MIN_WATERMARK, emitWatermark(w: number): void { if (w > this.value) this.value = Math.min(Math.floor(w), MAX_WATERMARK); } };

  /** The splits it tracks (tests): id, watermark, idle. */
  describe(): { id: string; watermark: number; idle: boolean }[] {
    return [...this.splits.values()].map((s) => ({ id: s.id, watermark: s.watermark, idle: s.idle }));
  }
}

/**
 * Throws, naming the operator, if a per-split watermark strategy is not chained right behind its source: only
 * there does it hear which split a record comes from.
 */
export function checkSplitWatermarks(graph: LogicalGraph, plan: PhysicalPlan): void {
  for (const n of graph.nodes) {
    if (n.kind !== 'timestamps' || !(n.spec as WatermarkStrategy<unknown>).perSplit) continue;
    const task = plan.tasks.find((t) => t.nodeIds.includes(n.id))!;
    if (task.nodeIds[1] !== n.id || graph.nodes[task.nodeIds[0]!]!.kind !== 'source') {
      throw new JobDefinitionError(`assignTimestampsAndWatermarks (perSplit): operator '${n.name}' must be chained to its source (same parallelism, chaining on), or it cannot tell the source's splits apart`);
    }
  }
}
