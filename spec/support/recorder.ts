// The end of an operator chain in unit specs that drive a subtask or task loop: keeps what reaches it.
import type { Downstream } from '../../core/operators/operator.js';

export class Recorder implements Downstream<unknown> {
  readonly values: unknown[] = [];
  push(v: unknown): void { this.values.push(v); }
  watermark(): void {}
  idle(): void {}
  finish(): void {}
}
