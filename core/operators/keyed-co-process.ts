// Runs on: the worker thread of the subtask. A keyed co-process function: two keyed inputs whose records of a
// key meet on one subtask and share that key's state and timers (`connect(...).keyBy(k1, k2).process(fn)`).
//
// The input gate pushes the second input through `input2`; watermarks arrive once, combined over both inputs
// by the gate's valve, through `watermark()`. Everything keyed (context, state, timers, open, end of input)
// is the keyed process operator's.

import { canonicalKey, type UserKey } from '../graph/tuple-key.js';
import type { KeyedCoProcessFunction } from '../api/co-functions.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import { notAsync } from './sync-call.js';
import type { Downstream } from './operator.js';
import type { TaskContext } from './task-context.js';
import type { TwoInputOperator } from './create-operator.js';
import { ownInstance } from './own-instance.js';

export class KeyedCoProcessOperator<K extends UserKey, I1, I2, O> extends KeyedProcessOperator<K, I1, O> implements TwoInputOperator {
  readonly input2: Downstream<I2>;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, key1: (v: I1) => UserKey, key2: (v: I2) => UserKey, shared: KeyedCoProcessFunction<K, I1, I2, O>, tracking: boolean) {
    const fn = ownInstance(shared);
    super(name, ctx, next, key1, {
      open: fn.open === undefined ? undefined : (c) => fn.open!(c),
      processElement: (v, c, out) => fn.processElement1(v, c, out),
      onTimer: fn.onTimer === undefined ? undefined : (ts, c, out) => fn.onTimer!(ts, c, out),
    }, tracking);
    this.firstInput = 1;
    this.input2 = {
      push: (value: I2) => {
        this.recordsIn++;
        try {
          this.backend.currentKey = canonicalKey(key2(value));
          const r = fn.processElement2(value, this, this);
          if (r !== undefined) notAsync(r, this.name, 'processElement2');
        } catch (e) { this.rejected(e, value, 2); }
      },
      // The gate sends watermarks, idleness and the end through the operator itself.
      watermark() {}, idle() {}, finish() {},
    };
  }
}
