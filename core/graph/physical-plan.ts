// Runs on: main thread (planning); the plan is plain data that workers receive.
//
// Logical graph → physical plan. Consecutive operators joined by a forward edge of equal parallelism, where the
// upstream has no other consumer, are chained into one task: records pass between them as function calls, with no
// ring and no encoding. A plain stream's broadcast process operator chains the same way on its first input, into a
// source's task (its broadcast input then reaches that task through an input gate). Every task runs as `parallelism` subtasks; every producer-subtask → consumer-subtask pair
// of an edge gets one ring channel (forward: subtask i → i only).
//
// A union is no task of its own, as in Flink: its consumers read its inputs directly (`producers`). As a task it
// would be a hop that splits each input's records over its subtasks, so an operator after it could get one input's
// watermark through one union subtask before records that input had sent earlier through the other (making
// records of a source back from idleness late). Unions whose inputs are partitioned by hand (keyBy before
// union) keep their task: their consumers' edges could not say how.

import type { LogicalEdge, LogicalGraph, LogicalNode, Partitioner } from './logical-graph.js';

/** A union whose inputs all arrive by rebalance (union() makes forward ones so): planned away. */
/** A union of plain inputs: no task of its own, its consumers read its inputs (one with a partitioned input has one). */
export function isVirtualUnion(n: LogicalNode): boolean {
  return n.kind === 'union' && n.inputs.every((e) => e.partitioner === 'rebalance');
}

interface Producer {
  readonly from: number;
  readonly tag: string | undefined;
  readonly partitioner: Partitioner;
}

/**
 * Where edge `e`'s records come from, through virtual unions: each union input, partitioned as `e` says (the key
 * is `e`'s), or, where `e` is forward (chained to the union before), as the union spread them: by rebalance.
 */
export function producers(graph: LogicalGraph, e: LogicalEdge): Producer[] {
  const n = graph.nodes[e.from]!;
  if (!isVirtualUnion(n)) return [{ from: e.from, tag: e.tag, partitioner: e.partitioner }];
  return n.inputs.flatMap((i) => producers(graph, i).map((p) => ({ ...p, partitioner: e.partitioner === 'forward' ? p.partitioner : e.partitioner })));
}

export interface TaskPlan {
  readonly id: number;
  /** Chained operators, head first. */
  readonly nodeIds: number[];
  readonly name: string;
  readonly parallelism: number;
}

/** An edge between two tasks (the tail of one chain and the head of another). */
export interface ExchangePlan {
  readonly id: number;
  readonly fromTask: number;
  readonly toTask: number;
  readonly fromNode: number;
  readonly toNode: number;
  /** Index of this edge among the consumer node's inputs (for the key selector, and which input of a two-input operator). */
  readonly inputIndex: number;
  readonly partitioner: Partitioner;
  /** The side output of `fromNode` this exchange carries; undefined for its main output. */
  readonly tag?: string | undefined;
}

export interface ChannelPlan {
  readonly id: number;
  readonly exchange: number;
  readonly fromSubtask: number;
  readonly toSubtask: number;
}

export interface SubtaskPlacement {
  readonly task: number;
  readonly subtask: number;
  readonly thread: number;
}

export interface PhysicalPlan {
  readonly tasks: TaskPlan[];
  readonly exchanges: ExchangePlan[];
  readonly channels: ChannelPlan[];
  readonly placements: SubtaskPlacement[];
  readonly threads: number;
  readonly maxParallelism: number;
}

export interface PlanOptions {
  /** Chain operators where possible (default true). Off: every operator is its own task. */
  chaining: boolean;
  /** Worker threads to spread subtasks over (capped at the number of subtasks). */
  threads: number;
}

/**
 * A plain stream's broadcast process operator may chain to the operator before it: its first input comes down
 * the chain, its broadcast input through the task's input gate. Other two-input operators are keyed (both inputs
 * cross an exchange).
 */
function chainsAsTwoInput(n: LogicalNode): boolean {
  return n.kind === 'broadcastProcess' && n.inputs.length === 2 && n.inputs[0]!.partitioner === 'forward';
}

/**
 * Only into a task headed by a source, with no other input (one input gate, feeding this operator alone), and
 * only if its broadcast input comes from a task that does not depend on this one: a task reading its own output,
 * directly or through others, could fill a ring it must itself drain and stall.
 */
function mayChainTwoInput(graph: LogicalGraph, tasks: readonly TaskPlan[], taskOf: Int32Array, t: number, n: LogicalNode): boolean {
  const task = tasks[t]!;
  if (graph.nodes[task.nodeIds[0]!]!.kind !== 'source') return false;
  if (task.nodeIds.some((id) => graph.nodes[id]!.inputs.length > 1)) return false;
  return producers(graph, n.inputs[1]!).every((p) => {
    const other = taskOf[p.from]!;
    return other !== t && !feeds(graph, taskOf, t, other);
  });
}

/** Whether task `from` reaches task `to` over the edges of the nodes placed so far. */
function feeds(graph: LogicalGraph, taskOf: Int32Array, from: number, to: number): boolean {
  const next = new Map<number, Set<number>>();
  for (const m of graph.nodes) {
    const tm = taskOf[m.id]!;
    if (tm === -1) continue;
    for (const e of m.inputs) {
      for (const p of producers(graph, e)) {
        const tf = taskOf[p.from]!;
        if (tf === tm || tf === -1) continue;
        let s = next.get(tf);
        if (s === undefined) next.set(tf, s = new Set());
        s.add(tm);
      }
    }
  }
  const seen = new Set<number>([from]);
  const stack = [from];
  while (stack.length > 0) {
    for (const u of next.get(stack.pop()!) ?? []) {
      if (u === to) return true;
      if (!seen.has(u)) { seen.add(u); stack.push(u); }
    }
  }
  return false;
}

export function plan(graph: LogicalGraph, options: PlanOptions): PhysicalPlan {
  const mainConsumers = graph.mainConsumerCounts();
  const taskOf = new Int32Array(graph.nodes.length).fill(-1);
  const tasks: TaskPlan[] = [];
  // Node ids are topological (inputs are always created first), so one pass builds the chains.
  for (const n of graph.nodes) {
    if (isVirtualUnion(n)) continue;
    const e = n.inputs.length === 1 || chainsAsTwoInput(n) ? n.inputs[0]! : undefined;
    // Only a node's main output chains, and only into its one reader: side outputs always cross an exchange.
    let chainable = options.chaining && e !== undefined && e.partitioner === 'forward' && e.tag === undefined
      && mainConsumers[e.from] === 1 && taskOf[e.from] !== -1 && tasks[taskOf[e.from]!]!.nodeIds.at(-1) === e.from
      && graph.parallelismOf(graph.nodes[e.from]!) === graph.parallelismOf(n);
    if (chainable && n.inputs.length === 2) chainable = mayChainTwoInput(graph, tasks, taskOf, taskOf[e!.from]!, n);
    if (chainable && e !== undefined) {
      const t = tasks[taskOf[e.from]!]!;
      t.nodeIds.push(n.id);
      taskOf[n.id] = t.id;
    } else {
      const t: TaskPlan = { id: tasks.length, nodeIds: [n.id], name: '', parallelism: graph.parallelismOf(n) };
      tasks.push(t);
      taskOf[n.id] = t.id;
    }
  }
  for (const t of tasks) (t as { name: string }).name = t.nodeIds.map((id) => graph.nodes[id]!.name).join(' -> ');

  const exchanges: ExchangePlan[] = [];
  const channels: ChannelPlan[] = [];
  for (const n of graph.nodes) {
    const toTask = taskOf[n.id]!;
    if (toTask === -1) continue; // a virtual union: its consumers read its inputs
    n.inputs.forEach((e, inputIndex) => {
      for (const from of producers(graph, e)) {
        const fromTask = taskOf[from.from]!;
        if (fromTask === toTask) continue; // chained
        const pp = tasks[fromTask]!.parallelism;
        const cp = tasks[toTask]!.parallelism;
        // Forward only between equal parallelisms (validate() made the graph's edges so; through a union, here).
        const partitioner = from.partitioner === 'forward' && pp !== cp ? 'rebalance' : from.partitioner;
        const x: ExchangePlan = { id: exchanges.length, fromTask, toTask, fromNode: from.from, toNode: n.id, inputIndex, partitioner, tag: from.tag };
        exchanges.push(x);
        for (let p = 0; p < pp; p++) {
          for (let c = 0; c < cp; c++) {
            if (x.partitioner === 'forward' && p !== c) continue;
            channels.push({ id: channels.length, exchange: x.id, fromSubtask: p, toSubtask: c });
          }
        }
      }
    });
  }

  const total = tasks.reduce((s, t) => s + t.parallelism, 0);
  const threads = Math.max(1, Math.min(options.threads, total));
  // Round-robin over (task, subtask) in plan order: a pipeline's stages land on different threads, and the
  // subtasks of one task spread over all threads.
  const placements: SubtaskPlacement[] = [];
  let k = 0;
  for (const t of tasks) for (let s = 0; s < t.parallelism; s++) placements.push({ task: t.id, subtask: s, thread: k++ % threads });
  return { tasks, exchanges, channels, placements, threads, maxParallelism: graph.maxParallelism };
}
