// Runs on: main thread and every worker thread (part of the job definition). Names a side output: a second,
// typed stream an operator can emit to (late window data, rejected records, alerts), read with
// `stream.getSideOutput(tag)`.

import { JobDefinitionError } from './errors.js';

export class OutputTag<T> {
  /**
   * Phantom: carries the element type, both ways (a plain `T` would let a tag of a narrower type take late
   * records, read back as that type, and a wider one send other values to readers of the narrower).
   */
  declare readonly __type?: (value: T) => T;
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) throw new JobDefinitionError('OutputTag: expected a non-empty id');
  }
}
