// Runs on: the worker thread the subtask is placed on.
//
// One parallel instance of a task: a source or an input gate, the chain of operators, and the output gates.
// `step` does a bounded amount of work and never waits, so many subtasks can share a thread.

import type { Downstream, Operator } from '../core/operators/operator.js';
import type { SinkOperator } from '../core/operators/sink-operator.js';
import { SOURCE_END, SOURCE_WAIT, type SourceReader } from '../core/connectors/source.js';
import { OperatorError } from '../core/api/errors.js';
import type { InputGate } from './input-gate.js';
import type { OutputGate } from './output-gate.js';

export const RUNNING = 0;
/** End of stream reached; the end is still being written to the outputs. */
export const FINISHING = 1;
export const FINISHED = 2;

export class Subtask {
  state: typeof RUNNING | typeof FINISHING | typeof FINISHED = RUNNING;
  /** Source only: a `ready()` promise is pending; `sourceReady` turns true when it resolves. */
  private sourceWaiting = false;
  private sourceReady = false;
  private readonly stopWhenBlocked = (): boolean => this.blocked();
  private readonly emit: (v: unknown) => void;
  busyMs = 0;
  backpressuredMs = 0;
  idleMs = 0;
  sourceRecords = 0;

  constructor(
    readonly name: string,
    readonly index: number,
    readonly head: Downstream<unknown>,
    readonly operators: Operator<unknown, unknown>[],
    readonly outputs: OutputGate<unknown>[],
    readonly sinks: SinkOperator<unknown>[],
    readonly input: InputGate | undefined,
    readonly source: SourceReader<unknown> | undefined,
    /** Rings the thread's doorbell: a source's pending promise resolved. */
    private readonly wake: () => void,
    private readonly sourceName: string,
  ) {
    this.emit = (v) => { this.sourceRecords++; head.push(v); };
  }

  blocked(): boolean {
    for (let i = 0; i < this.outputs.length; i++) if (this.outputs[i]!.blocked) return true;
    return false;
  }

  private drain(): boolean {
    let clear = true;
    for (let i = 0; i < this.outputs.length; i++) if (!this.outputs[i]!.drain()) clear = false;
    return clear;
  }

  /** Does up to `budget` records of work; returns how much it did (0: nothing could be done now). */
  step(budget: number): number {
    if (this.state === FINISHED) return 0;
    if (this.blocked() && !this.drain()) return 0;
    if (this.state === FINISHING) {
      this.state = FINISHED;
      return 1;
    }
    let done = 0;
    if (this.source) {
      if (this.sourceWaiting) {
        if (!this.sourceReady) return 0;
        this.sourceWaiting = false;
        this.sourceReady = false;
      }
      let status;
      try {
        const before = this.sourceRecords;
        status = this.source.read(this.emit, budget);
        done = this.sourceRecords - before;
      } catch (e) {
        if (e instanceof OperatorError) throw e;
        throw new OperatorError(this.sourceName, this.index, e);
      }
      if (status === SOURCE_WAIT) {
        this.sourceWaiting = true;
        this.source.ready().then(() => { this.sourceReady = true; this.wake(); }, () => { this.sourceReady = true; this.wake(); });
      } else if (status === SOURCE_END) {
        this.end();
        done++;
      }
    } else {
      const input = this.input!;
      done = input.pump(this.head, budget, this.stopWhenBlocked);
      if (input.allEnded) {
        this.end();
        done++;
      }
    }
    return done;
  }

  private end(): void {
    this.head.finish();
    this.state = this.drain() ? FINISHED : FINISHING;
  }

  /**
   * Could `step` do something right now? The re-check before the thread parks. Draining here may write records
   * after the loop's last flush: then it reports progress, so the loop runs on and flushes them before parking.
   */
  canProgress(): boolean {
    if (this.state === FINISHED) return false;
    if (this.blocked()) {
      const before = this.drainedCount();
      return this.drain() || this.drainedCount() !== before;
    }
    if (this.state === FINISHING) return true;
    if (this.source) return !this.sourceWaiting || this.sourceReady;
    return this.input!.hasData();
  }

  private drainedCount(): number {
    let n = 0;
    for (let i = 0; i < this.outputs.length; i++) n += this.outputs[i]!.drained;
    return n;
  }

  flush(): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.flush();
  }

  announceBlocked(on: boolean): void {
    for (let i = 0; i < this.outputs.length; i++) this.outputs[i]!.announceBlocked(on);
  }
}
