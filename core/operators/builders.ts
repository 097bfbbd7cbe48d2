// Runs on: a worker thread, while it builds its subtasks. Operators of node kinds whose implementations live
// outside core/operators/create-operator.ts (windows, joins, two-input operators, async I/O): one registry, so
// the task host stays independent of them.

import type { OperatorBuilder } from './create-operator.js';
import type { LogicalNode } from '../graph/logical-graph.js';
import { buildAsyncOperator } from './async-operator.js';
import type { Key } from '../graph/key-groups.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { BroadcastProcessFunction, KeyedBroadcastProcessFunction, KeyedCoProcessFunction } from '../api/co-functions.js';
import { WindowOperator } from '../windows/window-operator.js';
import { LocalCombineOperator, type CombineSpec, type PartialAggregate } from '../windows/local-combine-operator.js';
import type { Downstream } from './operator.js';
import type { WindowSpec } from '../windows/window-spec.js';
import { WindowJoinOperator } from '../joins/window-join-operator.js';
import { IntervalJoinOperator, type IntervalJoinSpec } from '../joins/interval-join-operator.js';
import { KeyedCoProcessOperator } from './keyed-co-process.js';
import { KeyedBroadcastProcessOperator, type BroadcastProcessSpec } from './keyed-broadcast-process.js';
import { BroadcastProcessOperator } from './broadcast-process.js';

function keysOf(n: LogicalNode): ((v: unknown) => UserKey)[] {
  return n.inputs.map((e) => e.key!);
}

export const operatorBuilders: Partial<Record<LogicalNode['kind'], OperatorBuilder>> = {
  async: buildAsyncOperator,
  combine: (n, ctx, next) => new LocalCombineOperator(n.name, ctx, next as Downstream<PartialAggregate<unknown>>, n.spec as CombineSpec),
  window: (n, ctx, next, env) => new WindowOperator(n.name, ctx, next, keysOf(n), n.spec as WindowSpec, env.checkpointing),
  // Two keyed inputs: a co-process function, or a join built on the same two-input routing.
  coProcess: (n, ctx, next, env) => {
    const spec = n.spec as WindowSpec | IntervalJoinSpec | undefined;
    const keys = keysOf(n);
    if (spec?.kind === 'window') return new WindowJoinOperator(n.name, ctx, next, keys, spec, env.checkpointing);
    if (spec?.kind === 'intervalJoin') return new IntervalJoinOperator(n.name, ctx, next, keys, spec, env.checkpointing);
    return new KeyedCoProcessOperator(n.name, ctx, next, keys[0]!, keys[1]!, n.fn as KeyedCoProcessFunction<Key, unknown, unknown, unknown>, env.checkpointing);
  },
  // A keyed first input: keyed state and timers; a plain one: broadcast state only.
  broadcastProcess: (n, ctx, next, env) => (n.inputs[0]!.partitioner === 'hash'
    ? new KeyedBroadcastProcessOperator(n.name, ctx, next, keysOf(n)[0]!, n.fn as KeyedBroadcastProcessFunction<Key, unknown, unknown, unknown>, n.spec as BroadcastProcessSpec, env.checkpointing)
    : new BroadcastProcessOperator(n.name, ctx, next, n.fn as BroadcastProcessFunction<unknown, unknown, unknown>, n.spec as BroadcastProcessSpec)),
};
