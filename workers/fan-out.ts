// Runs on: the worker thread of the producing subtask. Several outputs behind one chain tail: a stream that
// feeds more than one downstream task.

import type { Downstream } from '../core/operators/operator.js';

export class FanOut<T> implements Downstream<T> {
  constructor(private readonly outputs: Downstream<T>[]) {}
  push(value: T): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.push(value);
  }
  watermark(watermark: number): void {
    for (const o of this.outputs) o.watermark(watermark);
  }
  idle(idle: boolean): void {
    for (const o of this.outputs) o.idle(idle);
  }
  finish(): void {
    for (const o of this.outputs) o.finish();
  }
}
