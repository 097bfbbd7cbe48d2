// Runs on: the worker thread of the subtask. The end of a chain that writes to a sink.

import type { SinkWriter } from '../connectors/sink.js';
import { Operator, type Downstream } from './operator.js';

const NOWHERE: Downstream<never> = { push() {}, finish() {} };

export class SinkOperator<T> extends Operator<T, never> {
  result: unknown = undefined;
  constructor(name: string, subtask: number, private readonly writer: SinkWriter<T>) {
    super(name, subtask, NOWHERE);
  }
  push(value: T): void {
    this.recordsIn++;
    try { this.writer.write(value); } catch (e) { this.fail(e); }
  }
  override finish(): void {
    try { this.result = this.writer.finish(); } catch (e) { this.fail(e); }
  }
}
