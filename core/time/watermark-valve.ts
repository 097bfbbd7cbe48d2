// Runs on: the worker thread of a subtask with inputs from other tasks. Combines the watermarks and idle
// statuses of all input channels into the task's own (Flink's StatusWatermarkValve).
//
// The task's watermark is the minimum over its active inputs, and only moves forward. An idle input does not
// hold it back; when it becomes active again it only counts once its watermark has caught up with the task's
// (until then its records may be late, and are handled as late, never lost). An ended input is at +infinity.
// When every input is idle, the task is idle too, and its watermark goes to the highest any input reached.

import { MAX_WATERMARK, MIN_WATERMARK } from './watermark.js';

/**
 * Where every input channel of a valve stood (an unaligned checkpoint keeps it: restored at the same channels, the
 * watermarks among its in-flight records move the valve as they did). Per channel (0/1 flags): its watermark, idle,
 * counted (aligned), ended; and the watermark the valve had emitted.
 */
export interface ChannelTimes {
  readonly wm: readonly number[];
  readonly idle: readonly number[];
  readonly aligned: readonly number[];
  readonly ended: readonly number[];
  readonly last: number;
}

export interface ValveOutput {
  watermark(watermark: number): void;
  idle(idle: boolean): void;
}

export class WatermarkValve {
  private readonly wm: Float64Array;
  private readonly idle: Uint8Array;
  private readonly ended: Uint8Array;
  /** Active inputs whose watermark has reached the last one emitted. */
  private readonly aligned: Uint8Array;
  private last = MIN_WATERMARK;
  private allIdle = false;

  constructor(readonly inputs: number, private readonly out: ValveOutput) {
    this.wm = new Float64Array(inputs).fill(MIN_WATERMARK);
    this.idle = new Uint8Array(inputs);
    this.ended = new Uint8Array(inputs);
    this.aligned = new Uint8Array(inputs).fill(1);
  }

  get current(): number {
    return this.last;
  }

  /**
   * A restore: the task's event time was `watermark` at the checkpoint, and its inputs start over from the minimum
   * (sources regenerate watermarks). Nothing below it is emitted, so a record late then is late now.
   */
  startAt(watermark: number): void {
    if (watermark > this.last) this.last = watermark;
  }

  /** Where each channel stands now (ChannelTimes). */
  channelTimes(): ChannelTimes {
    return { wm: Array.from(this.wm), idle: Array.from(this.idle), aligned: Array.from(this.aligned), ended: Array.from(this.ended), last: this.last };
  }

  /**
   * A restore at the same channels: every channel back where it stood, nothing emitted yet (no downstream is
   * wired at restore time: `reannounce` says it once it is).
   */
  restoreChannels(t: ChannelTimes): void {
    if (t.wm.length !== this.inputs) throw new Error(`watermark valve: ${t.wm.length} channels restored into ${this.inputs}`);
    for (let i = 0; i < this.inputs; i++) {
      this.wm[i] = t.wm[i]!;
      this.idle[i] = t.idle[i]!;
      this.aligned[i] = t.aligned[i]!;
      this.ended[i] = t.ended[i]!;
    }
    if (t.last > this.last) this.last = t.last;
    this.allIdle = this.openInputsAllIdle();
  }

  /**
   * After restoreChannels, once downstream is wired: the watermark and idleness it stood at. A consumer restored
   * with its own channel times ignores them; one that was not (rescaled, or a stream added to its union), or an
   * operator's merging valve (never restored), starts from the minimum and would otherwise wait forever for an
   * idle input (restored idle, so a source's idle(true) again changes nothing and is not passed on).
   */
  reannounce(): void {
    if (this.last > MIN_WATERMARK) this.out.watermark(this.last);
    if (this.allIdle) this.out.idle(true);
  }

  onWatermark(i: number, watermark: number): void {
    if (this.ended[i] === 1) return;
    if (this.idle[i] === 1) this.onIdle(i, false);
    if (watermark <= this.wm[i]!) return;
    this.wm[i] = watermark;
    if (watermark >= this.last) this.aligned[i] = 1;
    this.advance();
  }

  onIdle(i: number, idle: boolean): void {
    if (this.ended[i] === 1 || (this.idle[i] === 1) === idle) return;
    this.idle[i] = idle ? 1 : 0;
    if (idle) {
      // At or below: after a restore (startAt) an input may not have caught up with the task yet.
      const heldMin = this.wm[i]! <= this.last;
      this.aligned[i] = 0;
      this.advance();
      // The last input holding event time back went idle, and nothing active is left to move it: go to the
      // highest watermark any input reached (Flink's valve does the same). Otherwise inputs that went idle ahead
      // of it would keep the task's event time behind for as long as they stay idle.
      if (heldMin && this.openInputsIdle()) this.flushMax();
    } else {
      // Back: it counts again once it catches up with what was already emitted.
      this.aligned[i] = this.wm[i]! >= this.last ? 1 : 0;
      if (this.allIdle) { this.allIdle = false; this.out.idle(false); }
      // Caught up already: it counts now, not only at its next (higher) watermark, which may be long in coming.
      this.advance();
    }
    this.updateAllIdle();
  }

  onEnd(i: number): void {
    if (this.ended[i] === 1) return;
    this.ended[i] = 1;
    this.idle[i] = 0;
    this.wm[i] = MAX_WATERMARK;
    this.aligned[i] = 1;
    this.advance();
    this.updateAllIdle();
  }

  private advance(): void {
    let min = Infinity;
    let any = false;
    for (let i = 0; i < this.inputs; i++) {
      if (this.idle[i] === 1 || this.aligned[i] === 0) continue;
      any = true;
      if (this.wm[i]! < min) min = this.wm[i]!;
    }
    if (any && min > this.last) {
      this.last = min;
      this.out.watermark(min);
    }
  }

  private openInputsIdle(): boolean {
    for (let i = 0; i < this.inputs; i++) if (this.ended[i] === 0 && this.idle[i] === 0) return false;
    return true;
  }

  private flushMax(): void {
    let max = -Infinity;
    for (let i = 0; i < this.inputs; i++) if (this.wm[i]! > max) max = this.wm[i]!;
    if (max > this.last) {
      this.last = max;
      this.out.watermark(max);
    }
  }

  /** Every input that has not ended is idle, and one has not (the task is then idle). */
  private openInputsAllIdle(): boolean {
    return this.openInputsIdle() && this.ended.includes(0);
  }

  private updateAllIdle(): void {
    const now = this.openInputsAllIdle();
    if (now !== this.allIdle) {
      this.allIdle = now;
      this.out.idle(now);
    }
  }
}
