// Runs on: a worker thread, while it builds its subtasks. The operator instance for each kind of graph node.

import type { LogicalGraph, LogicalNode } from '../graph/logical-graph.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { WatermarkStrategy } from '../time/watermark-strategy.js';
import { TimestampsOperator } from '../time/timestamps-operator.js';
import { FilterOperator, FlatMapOperator, IdentityOperator, MapOperator } from './stateless.js';
import { KeyedProcessOperator } from './keyed-process-operator.js';
import { ReduceOperator } from './reduce-operator.js';
import { ProcessOperator } from './process-operator.js';
import type { ReduceSpec } from '../api/data-stream.js';
import type { Downstream, Operator } from './operator.js';
import type { SideOutputs } from './side-outputs.js';
import type { TaskContext } from './task-context.js';

export interface OperatorEnv {
  graph: LogicalGraph;
  /** The job checkpoints (keyed state tracks its changes). */
  checkpointing: boolean;
}

/** A two-input operator: the input gate pushes its second input's records through `input2`. */
export interface TwoInputOperator {
  readonly input2: Downstream<unknown>;
}

/** An operator that can emit to side outputs: the task host wires each tag something reads. */
export interface HasSideOutputs {
  readonly sideOutputs: SideOutputs;
}

/** Builders of operator kinds defined outside this file (windows, joins, async I/O), by node kind. */
export type OperatorBuilder = (n: LogicalNode, ctx: TaskContext, next: Downstream<unknown>, env: OperatorEnv) => Operator<unknown, unknown>;

export function createOperator(n: LogicalNode, ctx: TaskContext, next: Downstream<unknown>, env: OperatorEnv, builders: Partial<Record<LogicalNode['kind'], OperatorBuilder>>): Operator<unknown, unknown> {
  const fn = n.fn as never;
  const keyOf = n.inputs[0]?.key as (v: unknown) => UserKey;
  switch (n.kind) {
    case 'map': return new MapOperator(n.name, ctx, next, fn);
    case 'filter': return new FilterOperator(n.name, ctx, next, fn);
    case 'flatMap': return new FlatMapOperator(n.name, ctx, next, fn);
    case 'reduce': return new ReduceOperator(n.name, ctx, next, keyOf, fn, env.checkpointing, (n.spec as ReduceSpec | undefined)?.stateFields);
    case 'process': return new KeyedProcessOperator(n.name, ctx, next, keyOf, fn, env.checkpointing);
    case 'streamProcess': return new ProcessOperator(n.name, ctx, next, fn);
    case 'timestamps': return new TimestampsOperator(n.name, ctx, next, n.spec as WatermarkStrategy<unknown>, env.graph.autoWatermarkIntervalMs);
    case 'union': return new IdentityOperator(n.name, ctx, next);
    // Not in the data path: the source pushes straight into the next operator (one call less per record); this
    // instance only holds the source's place in the metrics.
    case 'source': return new IdentityOperator(n.name, ctx, next);
    default: {
      const b = builders[n.kind];
      if (!b) throw new Error(`no operator implementation for node kind '${n.kind}' (operator '${n.name}')`);
      return b(n, ctx, next, env);
    }
  }
}
