// Runs on: a worker thread, while it builds its subtasks. Operators of node kinds whose implementations live
// outside core/operators/ (windows, joins, async I/O): one registry, so the task host stays independent of them.

import type { OperatorBuilder } from './create-operator.js';
import type { LogicalNode } from '../graph/logical-graph.js';
import { buildAsyncOperator } from './async-operator.js';

export const operatorBuilders: Partial<Record<LogicalNode['kind'], OperatorBuilder>> = {
  async: buildAsyncOperator,
};
