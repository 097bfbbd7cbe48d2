// Runs on: main thread and every worker thread (part of the job definition); generators run on the worker of the
// operator that assigns timestamps. How a stream's records get their event time, and how event time advances.
//
// As in Flink: a timestamp assigner reads each record's event time; a watermark generator, fed every record,
// emits watermarks (periodically, every `autoWatermarkIntervalMs` of wall time, or on its own). Built-ins:
// bounded out-of-orderness (watermark = max timestamp seen - bound - 1) and monotonous timestamps (bound 0).
// `withIdleness` lets an input that finds nothing to read stop holding back downstream watermarks: it is
// decided from the source actually reading nothing for the timeout, not from the absence of output alone (a
// backpressured source is never idle). `withWatermarkAlignment` holds a source back while its watermark runs ahead
// of the slowest source of its group (Flink's FLIP-182): see watermark-alignment.ts. Given to a source per split
// (`assignTimestampsAndWatermarks(strategy, { perSplit: true })`), all of it holds per split: see split-watermarks.ts.

import { JobDefinitionError } from '../api/errors.js';
import { shownValue } from '../api/shown-value.js';

export interface WatermarkOutput {
  /** Event time has reached `watermark` (ms); a lower or equal value than the last is ignored. */
  emitWatermark(watermark: number): void;
}

export interface WatermarkGenerator<T> {
  /** Every record, after its timestamp is assigned. */
  onEvent(event: T, timestamp: number, output: WatermarkOutput): void;
  /** Every autoWatermarkIntervalMs of wall time. */
  onPeriodicEmit(output: WatermarkOutput): void;
}

export type TimestampAssigner<T> = (event: T, recordTimestamp: number | undefined) => number;

/** Sources of one group read on only while their watermark is within `maxDriftMs` of the group's lowest. */
export interface WatermarkAlignment {
  readonly group: string;
  readonly maxDriftMs: number;
  /** How long a held source waits before it looks at the group's watermarks again, ms. */
  readonly updateIntervalMs: number;
}

export class WatermarkStrategy<T> {
  private constructor(
    /** @internal */ readonly describe: string,
    /** @internal */ readonly createGenerator: () => WatermarkGenerator<T>,
    /** @internal */ readonly assigner: TimestampAssigner<T> | undefined,
    /** @internal */ readonly idleTimeoutMs: number | undefined,
    /** @internal */ readonly alignment: WatermarkAlignment | undefined = undefined,
    /** @internal Runs per split inside its source (split-watermarks.ts). */
    readonly perSplit = false,
  ) {}

  /** Records arrive at most `maxOutOfOrdernessMs` later (in event time) than the latest one seen. */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(maxOutOfOrdernessMs) && maxOutOfOrdernessMs >= 0)) {
      throw new JobDefinitionError(`forBoundedOutOfOrderness: the bound must be a number of ms >= 0, got ${shownValue(maxOutOfOrdernessMs)}`);
    }
    return new WatermarkStrategy<T>(`bounded(${maxOutOfOrdernessMs})`, () => new BoundedOutOfOrderness<T>(maxOutOfOrdernessMs), undefined, undefined);
  }

  /** Timestamps never decrease. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('monotonous', () => new BoundedOutOfOrderness<T>(0), undefined, undefined);
  }

  /** A custom generator; `name` goes into the job's fingerprint. */
  static forGenerator<T>(name: string, create: () => WatermarkGenerator<T>): WatermarkStrategy<T> {
    if (typeof create !== 'function') throw new JobDefinitionError('forGenerator: expected a function returning a WatermarkGenerator');
    return new WatermarkStrategy<T>(`custom(${name})`, create, undefined, undefined);
  }

  /** Timestamps only; event time never advances (until the end of input). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>('none', () => ({ onEvent() {}, onPeriodicEmit() {} }), undefined, undefined);
  }

  /** Reads each record's event time (ms). Without one, records keep the timestamp they arrived with. */
  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    if (typeof assigner !== 'function') throw new JobDefinitionError('withTimestampAssigner: expected a function (event, recordTimestamp) => number');
    return new WatermarkStrategy<T>(this.describe, this.createGenerator, assigner, this.idleTimeoutMs, this.alignment, this.perSplit);
  }

  /** An input whose source has read nothing for `timeoutMs` is idle until it reads data again. */
  withIdleness(timeoutMs: number): WatermarkStrategy<T> {
    if (!(Number.isFinite(timeoutMs) && timeoutMs >= 0)) throw new JobDefinitionError(`withIdleness: expected a timeout in ms >= 0, got ${shownValue(timeoutMs)}`);
    return new WatermarkStrategy<T>(this.describe, this.createGenerator, this.assigner, timeoutMs, this.alignment, this.perSplit);
  }

  /**
   * Holds the source back while its watermark is more than `maxDriftMs` ahead of the lowest watermark of the
   * sources in `group` (idle and finished ones aside), so a fast source cannot fill downstream state with records
   * a slow one will not match for a long time. It needs `assignTimestampsAndWatermarks` right behind its source
   * (chained). A held source goes on when the group's lowest watermark moves (it is woken), and looks again at
   * least every `updateIntervalMs`. It asks its generator for its watermark before each read step (downstream
   * still gets watermarks at the interval), so it runs ahead by at most one step of reads on top of `maxDriftMs`.
   */
  withWatermarkAlignment(group: string, maxDriftMs: number, updateIntervalMs = 10): WatermarkStrategy<T> {
    if (typeof group !== 'string' || group.length === 0) throw new JobDefinitionError('withWatermarkAlignment: expected a non-empty group name');
    // Its watermark would stay at the minimum until its source ends, holding every other source of the group.
    if (this.describe === 'none') throw new JobDefinitionError('withWatermarkAlignment: a strategy without watermarks (noWatermarks) would hold back every source of its group until its own ends');
    if (!(Number.isFinite(maxDriftMs) && maxDriftMs >= 0)) throw new JobDefinitionError(`withWatermarkAlignment: maxDriftMs must be a number of ms >= 0, got ${shownValue(maxDriftMs)}`);
    if (!(Number.isFinite(updateIntervalMs) && updateIntervalMs > 0)) throw new JobDefinitionError(`withWatermarkAlignment: updateIntervalMs must be a number of ms > 0, got ${shownValue(updateIntervalMs)}`);
    return new WatermarkStrategy<T>(this.describe, this.createGenerator, this.assigner, this.idleTimeoutMs, { group, maxDriftMs, updateIntervalMs }, this.perSplit);
  }

  /** @internal The same strategy, run per split inside its source (assignTimestampsAndWatermarks's perSplit). */
  forSplits(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.describe, this.createGenerator, this.assigner, this.idleTimeoutMs, this.alignment, true);
  }

  /** @internal Everything that must be identical on every thread. */
  get fingerprint(): string {
    const a = this.alignment;
    return `${this.describe};assigner=${this.assigner ? 'fn' : 'record'};idle=${this.idleTimeoutMs ?? 'off'}${a === undefined ? '' : `;align=${JSON.stringify(a.group)},${a.maxDriftMs},${a.updateIntervalMs}`}${this.perSplit ? ';per-split' : ''}`;
  }
}

class BoundedOutOfOrderness<T> implements WatermarkGenerator<T> {
  private maxTs = -Infinity;
  constructor(private readonly bound: number) {}
  onEvent(_e: T, ts: number): void {
    if (ts > this.maxTs) this.maxTs = ts;
  }
  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTs !== -Infinity) output.emitWatermark(Math.floor(this.maxTs - this.bound - 1));
  }
}
