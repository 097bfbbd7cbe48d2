// Runs on: the worker thread of the subtask. A window join (`a.join(b).where(k1).equalTo(k2).window(w).apply(fn)`):
// the window operator with a second input. Both inputs' records go into the same windows of their key, each
// window keeping the two sides' elements apart; when it fires it emits fn(left, right) for every pair, stamped
// with the window's maxTimestamp (Flink's join, which runs as a coGroup over tagged, windowed inputs).

import type { UserKey } from '../graph/tuple-key.js';
import type { Downstream } from '../operators/operator.js';
import type { TaskContext } from '../operators/task-context.js';
import type { TwoInputOperator } from '../operators/create-operator.js';
import { WindowOperator } from '../windows/window-operator.js';
import type { WindowSpec } from '../windows/window-spec.js';

export class WindowJoinOperator<A, B, O> extends WindowOperator<A, O> implements TwoInputOperator {
  readonly input2: Downstream<B>;

  constructor(name: string, ctx: TaskContext, next: Downstream<O>, keyOf: readonly ((v: unknown) => UserKey)[], spec: WindowSpec, tracking: boolean) {
    super(name, ctx, next, keyOf, spec, tracking);
    this.input2 = {
      push: (value: B) => {
        this.recordsIn++;
        this.element(value, 1);
      },
      watermark() {}, idle() {}, finish() {},
    };
  }
}
