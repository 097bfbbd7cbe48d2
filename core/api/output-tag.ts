// Runs on: main thread and every worker thread (part of the job definition). Names a side output: a second,
// typed stream an operator can emit to (late window data, rejected records, alerts), read with
// `stream.getSideOutput(tag)`.

import { JobDefinitionError } from './errors.js';

export class OutputTag<T> {
  /** Phantom: carries the element type. */
  declare readonly __type?: T;
  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) throw new JobDefinitionError('OutputTag: expected a non-empty id');
  }
}
