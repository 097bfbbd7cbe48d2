// Runs on: the worker thread of each source subtask of a Nexmark latency job (chained behind the paced source).
// The bounded-out-of-orderness watermarks every Nexmark job uses, which also log when each advance left: the
// moment a windowed result's latency counts from is when the watermark that closed its window was emitted.

import { WatermarkStrategy, type WatermarkGenerator, type WatermarkOutput } from '../../core/index.js';
import { epochMs } from '../job-generator.js';
import { maxOutOfOrdernessMs, type NexmarkConfig } from './config.js';
import { appendWatermark, newWatermarkLogPath } from './latency-dir.js';
import type { NexmarkEvent } from './model.js';

/** forBoundedOutOfOrderness(maxOutOfOrdernessMs(config)) on dateTime, logging into the run directory `dir`. */
export function recordingWatermarks(config: NexmarkConfig, dir: string): WatermarkStrategy<NexmarkEvent> {
  const bound = maxOutOfOrdernessMs(config);
  return WatermarkStrategy.forGenerator<NexmarkEvent>(`recording-bounded(${bound})`, () => new RecordingWatermarks(bound, dir))
    .withTimestampAssigner((e) => e.dateTime);
}

class RecordingWatermarks implements WatermarkGenerator<NexmarkEvent> {
  private maxTs = -Infinity;
  private last = -Infinity;
  /** Created at the first advance, so a generator built only to plan the job leaves no file. */
  private path: string | undefined;

  constructor(private readonly bound: number, private readonly dir: string) {}

  onEvent(_e: NexmarkEvent, ts: number): void {
    if (ts > this.maxTs) this.maxTs = ts;
  }

  onPeriodicEmit(output: WatermarkOutput): void {
    if (this.maxTs === -Infinity) return;
    const wm = Math.floor(this.maxTs - this.bound - 1);
    if (wm <= this.last) return;
    // Before emitting: a chained window may fire, and its results leave, inside emitWatermark.
    const at = epochMs();
    output.emitWatermark(wm);
    this.last = wm;
    appendWatermark(this.path ??= newWatermarkLogPath(this.dir), wm, at);
  }
}
