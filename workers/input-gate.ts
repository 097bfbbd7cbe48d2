// Runs on: the worker thread of the consuming subtask.
//
// All input channels of a subtask, read fairly: up to FAIR_SHARE records from one channel, then the next, so a
// busy input cannot starve the others. Never waits: the thread parks on its doorbell when no input has data.

import { CONTROL, EMPTY, END, RECORD, type ChannelReader } from '../shm/channel.js';
import type { Downstream } from '../core/operators/operator.js';

const FAIR_SHARE = 256;

export class InputGate {
  private readonly ended: boolean[];
  private endedCount = 0;
  private cursor = 0;
  recordsIn = 0;

  constructor(readonly readers: ChannelReader<unknown>[]) {
    this.ended = readers.map(() => false);
  }

  get allEnded(): boolean {
    return this.endedCount === this.readers.length;
  }

  /**
   * Pushes up to `max` records into `head`, stopping early when `stop()` says the outputs are blocked.
   * Returns the number of records and control frames consumed.
   */
  pump(head: Downstream<unknown>, max: number, stop: () => boolean): number {
    const n = this.readers.length;
    let done = 0;
    let idleInputs = 0;
    while (done < max && idleInputs < n && !this.allEnded) {
      const i = this.cursor;
      this.cursor = i + 1 === n ? 0 : i + 1;
      if (this.ended[i]) { idleInputs++; continue; }
      const r = this.readers[i]!;
      let got = 0;
      for (; got < FAIR_SHARE && done < max; got++, done++) {
        const res = r.poll();
        if (res === RECORD) {
          this.recordsIn++;
          head.push(r.record);
          if (stop()) return done + 1;
        } else if (res === EMPTY) {
          break;
        } else if (res === END) {
          this.ended[i] = true;
          this.endedCount++;
          done++;
          break;
        } else if (res === CONTROL) {
          // Watermarks and barriers are handled by the event-time and checkpoint issues; counted as progress.
        }
      }
      idleInputs = got === 0 ? idleInputs + 1 : 0;
    }
    return done;
  }

  /** Some input has published data not read yet (the re-check before parking). */
  hasData(): boolean {
    for (let i = 0; i < this.readers.length; i++) {
      const r = this.readers[i]!;
      // Records left from a batch frame are ready without the ring: parking on them would stall the task.
      if (!this.ended[i] && (r.hasBuffered || r.consumer.hasData())) return true;
    }
    return false;
  }
}
