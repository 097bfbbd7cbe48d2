// Runs on: the worker thread of the subtask. An operator's side outputs, by OutputTag id (the task host wires the
// tags something reads; a tag nothing reads is absent). Side outputs are streams like the main output: they get the
// watermarks, idleness and end of input too (without them, a task reading one would wait for its end forever, and
// its event time would never advance).

import type { Downstream, OperatorCounters } from './operator.js';

export class SideOutputs extends Map<string, Downstream<unknown>> {
  /** Records to side outputs that nothing reads. */
  dropped = 0;

  /** `counters`: the operator's, whose sideOutputRecords counts every record emitted here. */
  constructor(private readonly counters: Pick<OperatorCounters, 'sideOutputRecords'>) {
    super();
  }

  emit(tagId: string, value: unknown): void {
    this.counters.sideOutputRecords++;
    const out = this.get(tagId);
    if (out === undefined) this.dropped++;
    else out.push(value);
  }

  watermark(watermark: number): void {
    for (const out of this.values()) out.watermark(watermark);
  }

  idle(idle: boolean): void {
    for (const out of this.values()) out.idle(idle);
  }

  finish(): void {
    for (const out of this.values()) out.finish();
  }
}
