// Runs on: main thread. Where the in-flight records of an unaligned checkpoint were going, in words that outlive a
// change of the job: records an output gate had not sent are kept by gate number, records an input had not yet
// processed by input number, and both numbers come from the order of the job's exchanges. Recorded in the manifest
// beside the records (Manifest.channels) and compared on restore, so a job whose branches were added or reordered,
// whose consumer was renamed, or whose partitioning changed does not send them somewhere else: with gate numbers
// alone, one sink's records would reach another, and keyed records a subtask not owning their key. A rescaled
// consumer is the same exchange (rescaleForm); its records are routed again (in-flight-rescale.ts).

import { TWO_INPUT_KINDS, type LogicalGraph } from '../graph/logical-graph.js';
import type { ExchangePlan, PhysicalPlan } from '../graph/physical-plan.js';

export interface ChannelShape {
  /** Per output gate of the task, in gate order: the exchange it feeds. */
  readonly gates: readonly string[];
  /**
   * Per input of the task's chain, in input order: the exchanges it reads, sorted. A record in flight on an input
   * does not say which of them it came through: it goes to the input that still reads all of them (a union that
   * gained a stream keeps its records).
   */
  readonly inputs: readonly (readonly string[])[];
}

/**
 * The input of task `task`'s chain that an exchange into it feeds: by the edge's index when the chain holds a
 * two-input operator, else 0. The task host numbers its input channels so, and so are in-flight records numbered.
 */
export function inputNumbering(graph: LogicalGraph, plan: PhysicalPlan, task: number): (x: ExchangePlan) => number {
  const byIndex = plan.tasks[task]!.nodeIds.some((id) => TWO_INPUT_KINDS.has(graph.nodes[id]!.kind));
  return (x) => (byIndex ? x.inputIndex : 0);
}

export function channelShape(graph: LogicalGraph, plan: PhysicalPlan, task: number): ChannelShape {
  const uid = (node: number): string => { const n = graph.nodes[node]!; return n.uid ?? n.name; };
  const from = (x: ExchangePlan): string => `${uid(x.fromNode)}${x.tag === undefined ? '' : `#${x.tag}`}`;
  const gates = plan.exchanges.filter((x) => x.fromTask === task)
    .map((x) => `${from(x)} -> ${uid(x.toNode)}[${x.inputIndex}] ${x.partitioner} at parallelism ${plan.tasks[x.toTask]!.parallelism}`);
  const inputOf = inputNumbering(graph, plan, task);
  const inputs: string[][] = [];
  for (const x of plan.exchanges.filter((e) => e.toTask === task)) (inputs[inputOf(x)] ??= []).push(`${from(x)} ${x.partitioner}`);
  return { gates, inputs: Array.from(inputs, (i) => (i ?? []).sort()) };
}

/**
 * The input channels of subtask `subtask` of task `task`, in the order its input gate reads them (workers/task-host.ts
 * builds its readers so): the exchange and the producer subtask of each. Per-channel state of a checkpoint
 * (Manifest.channelTimes) is restored only into the same list.
 */
export function gateChannels(graph: LogicalGraph, plan: PhysicalPlan, task: number, subtask: number): string[] {
  const uid = (node: number): string => { const n = graph.nodes[node]!; return n.uid ?? n.name; };
  const out: string[] = [];
  for (const x of plan.exchanges.filter((e) => e.toTask === task)) {
    const from = `${uid(x.fromNode)}${x.tag === undefined ? '' : `#${x.tag}`}`;
    for (const c of plan.channels.filter((ch) => ch.exchange === x.id && ch.toSubtask === subtask)) {
      out.push(`${from}/${c.fromSubtask} -> ${uid(x.toNode)}[${x.inputIndex}] ${x.partitioner}`);
    }
  }
  return out;
}

/**
 * An exchange as a rescale may leave it: without the consumer's parallelism, and forward as rebalance (a forward
 * exchange between sides of different parallelism is planned as rebalance). Compared so only where a task or its
 * neighbours changed parallelism; their records are then routed again (in-flight-rescale.ts).
 */
export function rescaleForm(d: string): string {
  return d.replace(/ at parallelism \d+$/, '').replace(/ forward$/, ' rebalance');
}

/** A gate's partitioner and its consumer's parallelism, as the shape recorded them. */
export function recordedGate(d: string): { partitioner: string; parallelism: number } | undefined {
  const m = / (\w+) at parallelism (\d+)$/.exec(d);
  return m === null ? undefined : { partitioner: m[1]!, parallelism: Number(m[2]) };
}
