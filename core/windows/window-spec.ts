// Runs on: main thread and every worker thread (the graph node's spec), read by the window operator's builder.
// The definition of a window operator: assigner, trigger, allowed lateness, late-data tag, and what it computes.

import { JobDefinitionError } from '../api/errors.js';
import type { OutputTag } from '../api/output-tag.js';
import type { AggregateFunction } from '../api/state.js';
import type { ReduceFunction } from '../api/functions.js';
import type { CoGroupFunction, FlatJoinFunction, JoinFunction, ProcessWindowFunction } from '../api/window-functions.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { WindowAssigner } from './window-assigner.js';
import type { Trigger } from './trigger.js';
import type { Window } from './window.js';
import { AggregateContents, CoGroupContents, EvictingContents, JoinContents, ListContents, ReduceContents, type WindowContents } from './window-contents.js';
import type { Evictor } from './evictor.js';

export type AnyWindowFunction = ProcessWindowFunction<unknown, unknown, UserKey, Window>;

export type WindowComputation =
  | { kind: 'reduce'; reduce: ReduceFunction<unknown>; windowFn?: AnyWindowFunction | undefined }
  | { kind: 'aggregate'; aggregate: AggregateFunction<unknown, unknown, unknown>; windowFn?: AnyWindowFunction | undefined }
  | { kind: 'process'; windowFn: AnyWindowFunction }
  | { kind: 'join'; join: JoinFunction<unknown, unknown, unknown> | FlatJoinFunction<unknown, unknown, unknown> }
  | { kind: 'coGroup'; coGroup: CoGroupFunction<unknown, unknown, unknown> };

export interface WindowSpec {
  readonly kind: 'window';
  readonly assigner: WindowAssigner<Window>;
  readonly trigger: Trigger<Window>;
  /** Event time: how long after the watermark passes a window's end its state is kept (late elements re-fire it). */
  readonly allowedLateness: number;
  /** Late elements (every window already past end + lateness) go here; none: they are dropped and counted. */
  readonly lateTag: OutputTag<unknown> | undefined;
  readonly computation: WindowComputation;
  /** Skip calls whose outcome is known (the default event-time trigger on a window it already armed). On by default. */
  readonly fastPaths: boolean;
  /** Leaves elements out when the window fires (the window then keeps every element). */
  readonly evictor?: Evictor | undefined;
}

/** What of the spec must be identical on every thread (functions are compared by kind only, as elsewhere). */
export function windowFingerprint(spec: WindowSpec): string {
  const c = spec.computation;
  const fn = c.kind === 'reduce' || c.kind === 'aggregate' ? `${c.kind}${c.windowFn ? '+window-fn' : ''}` : c.kind;
  return `window(${spec.assigner.fingerprint};trigger=${spec.trigger.fingerprint};lateness=${spec.allowedLateness};late=${spec.lateTag?.id ?? '-'};fn=${fn}${spec.evictor ? `;evictor=${spec.evictor.fingerprint}` : ''}${spec.fastPaths ? '' : ';slow'})`;
}

/** Checks a spec when the job is defined, so a bad one fails before any thread starts. */
export function checkWindowSpec(spec: WindowSpec, where: string): void {
  if (spec.assigner.isMerging) {
    if (!spec.trigger.canMerge()) throw new JobDefinitionError(`${where}: trigger ${spec.trigger.fingerprint} cannot merge windows, which ${spec.assigner.fingerprint} needs`);
    if (!contentsOf(spec).canMerge) throw new JobDefinitionError(`${where}: session windows merge accumulators: the AggregateFunction needs a merge(a, b) method`);
  }
}

/** `elementTs`: the timestamp of the element being added (an evictor's contents keep it). */
export function contentsOf(spec: WindowSpec, elementTs: () => number = () => Number.NaN): WindowContents {
  const c = spec.computation;
  if (spec.evictor !== undefined && c.kind !== 'join' && c.kind !== 'coGroup') {
    const compute = c.kind === 'reduce' ? { reduce: c.reduce } : c.kind === 'aggregate' ? { aggregate: c.aggregate } : undefined;
    return new EvictingContents(spec.evictor, compute, c.kind !== 'process' && c.windowFn !== undefined, elementTs);
  }
  switch (c.kind) {
    case 'reduce': return new ReduceContents(c.reduce, c.windowFn !== undefined);
    case 'aggregate': return new AggregateContents(c.aggregate, c.windowFn !== undefined);
    case 'process': return new ListContents();
    case 'join': return new JoinContents(c.join, spec.fastPaths);
    case 'coGroup': return new CoGroupContents(c.coGroup);
  }
}

export function windowFnOf(spec: WindowSpec): AnyWindowFunction | undefined {
  const c = spec.computation;
  return c.kind === 'join' || c.kind === 'coGroup' ? undefined : c.windowFn;
}
