// Runs on: main thread and every worker thread (the job module builds the graph on each). The interval join:
// `a.keyBy(k1).intervalJoin(b.keyBy(k2)).between(lower, upper).process(fn)` calls fn for every pair of records
// with equal keys where b's event time lies in [a.ts + lower, a.ts + upper] (bounds inclusive unless made
// exclusive), stamped with the larger timestamp. Event time only; each side's records are kept until the
// watermark passes the last time they can match.

import type { OutputTypeHint } from './functions.js';
import { afterOperators, JobDefinitionError } from './errors.js';
import { OutputTag } from './output-tag.js';
import type { Key } from '../graph/key-groups.js';
import type { UserKey } from '../graph/tuple-key.js';
import type { ProcessJoinFunction } from './window-functions.js';
import { DataStream, type KeyedStream } from './data-stream.js';
import { intervalJoinFingerprint, type IntervalJoinSpec } from '../joins/interval-join-operator.js';
import { shownValue } from './shown-value.js';

function after(left: KeyedStream<unknown, Key>, right: KeyedStream<unknown, Key>): string {
  return afterOperators(left.node.name, right.node.name);
}

export class IntervalJoin<A, B, K extends UserKey> {
  /** @internal */
  constructor(private readonly left: KeyedStream<A, K>, private readonly right: KeyedStream<B, K>) {}

  private get where(): string {
    return after(this.left as KeyedStream<unknown, Key>, this.right as KeyedStream<unknown, Key>);
  }

  /** right.ts - left.ts must lie in [lowerMs, upperMs]. */
  between(lowerMs: number, upperMs: number): IntervalJoined<A, B, K> {
    if (!Number.isSafeInteger(lowerMs) || !Number.isSafeInteger(upperMs)) throw new JobDefinitionError(`intervalJoin.between${this.where}: bounds must be integer ms, got ${shownValue(lowerMs)}, ${shownValue(upperMs)}`);
    if (lowerMs > upperMs) throw new JobDefinitionError(`intervalJoin.between${this.where}: lower bound ${lowerMs} is above upper bound ${upperMs}`);
    return new IntervalJoined<A, B, K>(this.left, this.right, lowerMs, upperMs);
  }
}

export class IntervalJoined<A, B, K extends UserKey> {
  private lowerExclusive = false;
  private upperExclusive = false;
  private leftLate: OutputTag<A> | undefined;
  private rightLate: OutputTag<B> | undefined;

  /** @internal */
  constructor(private readonly left: KeyedStream<A, K>, private readonly right: KeyedStream<B, K>, private readonly lower: number, private readonly upper: number) {}

  private get where(): string {
    return after(this.left as KeyedStream<unknown, Key>, this.right as KeyedStream<unknown, Key>);
  }

  lowerBoundExclusive(): this { this.lowerExclusive = true; return this; }
  upperBoundExclusive(): this { this.upperExclusive = true; return this; }

  /** Left records arriving behind the watermark go to `tag` (default: dropped and counted). */
  sideOutputLeftLateData(tag: OutputTag<A>): this {
    if (!(tag instanceof OutputTag)) throw new JobDefinitionError(`intervalJoin sideOutputLeftLateData${this.where}: expected an OutputTag`);
    this.leftLate = tag;
    return this;
  }

  sideOutputRightLateData(tag: OutputTag<B>): this {
    if (!(tag instanceof OutputTag)) throw new JobDefinitionError(`intervalJoin sideOutputRightLateData${this.where}: expected an OutputTag`);
    this.rightLate = tag;
    return this;
  }

  process<R = OutputTypeHint>(fn: ProcessJoinFunction<A, B, R, K>): DataStream<R> {
    if (typeof fn !== 'function') throw new JobDefinitionError(`intervalJoin process${this.where}: expected a function (left, right, ctx, out) => void, got ${typeof fn}`);
    const { lower, upper, lowerExclusive, upperExclusive } = this;
    if (lower === upper && (lowerExclusive || upperExclusive)) throw new JobDefinitionError(`intervalJoin${this.where}: the bounds [${lower}, ${upper}] with exclusive ends leave no interval`);
    const spec: IntervalJoinSpec = {
      kind: 'intervalJoin', lower, upper, ...(lowerExclusive ? { lowerExclusive } : {}), ...(upperExclusive ? { upperExclusive } : {}),
      leftLateTag: this.leftLate as OutputTag<unknown> | undefined,
      rightLateTag: this.rightLate as OutputTag<unknown> | undefined,
      fn: fn as ProcessJoinFunction<unknown, unknown, unknown, UserKey>,
    };
    const graph = this.left.graph;
    const node = graph.add({ kind: 'coProcess', inputs: [this.left.inputEdge(), this.right.inputEdge()], spec, specFingerprint: intervalJoinFingerprint(spec) });
    return new DataStream<R>(graph, node);
  }
}
