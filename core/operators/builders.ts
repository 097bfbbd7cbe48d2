// Runs on: a worker thread, while it builds its subtasks. Operators of node kinds whose implementations live
// outside core/operators/ (windows, joins, async I/O): one registry, so the task host stays independent of them.

import type { OperatorBuilder } from './create-operator.js';
import type { LogicalNode } from '../graph/logical-graph.js';
import type { Key } from '../graph/key-groups.js';
import { WindowOperator } from '../windows/window-operator.js';
import type { WindowSpec } from '../windows/window-spec.js';

function keysOf(n: LogicalNode): ((v: unknown) => Key)[] {
  return n.inputs.map((e) => e.key as (v: unknown) => Key);
}

export const operatorBuilders: Partial<Record<LogicalNode['kind'], OperatorBuilder>> = {
  window: (n, ctx, next, env) => new WindowOperator(n.name, ctx, next, keysOf(n), n.spec as WindowSpec, env.checkpointing),
};
