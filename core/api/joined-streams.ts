// Runs on: main thread and every worker thread (the job module builds the graph on each). Window joins and
// coGroups, Flink's two: `a.join(b).where(k1).equalTo(k2).window(assigner).apply(fn)` emits fn(x, y) for every
// pair of an `a` record and a `b` record with equal keys in the same window; `a.coGroup(b)...apply(fn)` calls
// fn(xs, ys, out) once per key and window with both sides' records (one side may be empty: outer joins). Both
// stamp results with the window's maxTimestamp.

import type { UserKey } from '../graph/tuple-key.js';
import { afterOperators, JobDefinitionError } from './errors.js';
import type { KeySelector, OutputTypeHint } from './functions.js';
import type { CoGroupFunction, FlatJoinFunction, JoinFunction } from './window-functions.js';
import { DataStream } from './data-stream.js';
import { Trigger } from '../windows/trigger.js';
import { checkAllowedLateness, WindowAssigner } from '../windows/window-assigner.js';
import type { Window } from '../windows/window.js';
import { checkWindowSpec, windowFingerprint, type WindowComputation, type WindowSpec } from '../windows/window-spec.js';

/** Which of the two: names the builders' messages and picks what `window(...)` returns. */
export type TwoInputWindowKind = 'join' | 'coGroup';

type Windowed<M extends TwoInputWindowKind, A, B, K extends UserKey, W extends Window> =
  M extends 'join' ? WindowedJoin<A, B, K, W> : WindowedCoGroup<A, B, K, W>;

function after(first: DataStream<unknown>, second: DataStream<unknown>): string {
  return afterOperators(first.node.name, second.node.name);
}

export class JoinedStreams<A, B, M extends TwoInputWindowKind = 'join'> {
  /** @internal */
  constructor(private readonly first: DataStream<A>, private readonly second: DataStream<B>, private readonly mode: M = 'join' as M) {}

  where<K extends UserKey>(key1: KeySelector<A, K>): { equalTo(key2: KeySelector<B, K>): JoinWhereEqual<A, B, K, M> } {
    if (typeof key1 !== 'function') throw new JobDefinitionError(`${this.mode}(...).where${after(this.first as DataStream<unknown>, this.second as DataStream<unknown>)}: expected a key selector`);
    return {
      equalTo: (key2) => {
        if (typeof key2 !== 'function') throw new JobDefinitionError(`${this.mode}(...).where(...).equalTo${after(this.first as DataStream<unknown>, this.second as DataStream<unknown>)}: expected a key selector`);
        return new JoinWhereEqual<A, B, K, M>(this.first, this.second, key1, key2, this.mode);
      },
    };
  }
}

/** `a.coGroup(b)`: as a join, but the function gets each key's and window's records of both sides at once. */
export type CoGroupedStreams<A, B> = JoinedStreams<A, B, 'coGroup'>;

export class JoinWhereEqual<A, B, K extends UserKey, M extends TwoInputWindowKind = 'join'> {
  /** @internal */
  constructor(
    private readonly first: DataStream<A>, private readonly second: DataStream<B>,
    private readonly key1: KeySelector<A, K>, private readonly key2: KeySelector<B, K>,
    private readonly mode: M = 'join' as M,
  ) {}

  window<W extends Window>(assigner: WindowAssigner<W>): Windowed<M, A, B, K, W> {
    if (!(assigner instanceof WindowAssigner)) throw new JobDefinitionError(`${this.mode}(...).window${after(this.first as DataStream<unknown>, this.second as DataStream<unknown>)}: expected a window assigner`);
    const Kind = this.mode === 'join' ? WindowedJoin : WindowedCoGroup;
    return new Kind<A, B, K, W>(this.first, this.second, this.key1, this.key2, assigner) as Windowed<M, A, B, K, W>;
  }
}

/** What a windowed join and a windowed coGroup share: trigger, lateness, and the two-input window operator. */
abstract class TwoInputWindowing<A, B, K extends UserKey, W extends Window> {
  private trig: Trigger<W>;
  private lateness = 0;
  private fast = true;
  protected abstract readonly kind: TwoInputWindowKind;

  /** @internal */
  constructor(
    private readonly first: DataStream<A>, private readonly second: DataStream<B>,
    private readonly key1: KeySelector<A, K>, private readonly key2: KeySelector<B, K>,
    private readonly assigner: WindowAssigner<W>,
  ) {
    this.trig = assigner.defaultTrigger();
  }

  trigger(trigger: Trigger<W>): this {
    if (!(trigger instanceof Trigger)) throw new JobDefinitionError(`${this.kind} window trigger${after(this.first as DataStream<unknown>, this.second as DataStream<unknown>)}: expected a Trigger`);
    this.trig = trigger;
    return this;
  }

  /** @internal Turns the window operator's fast paths off (tests run both ways; results must not differ). */
  withoutFastPaths(): this {
    this.fast = false;
    return this;
  }

  /** Event time: late records within `ms` after a window's end still join (and fire it again). */
  allowedLateness(ms: number): this {
    this.lateness = checkAllowedLateness(ms, this.assigner, `${this.kind} window allowedLateness${this.where}`);
    return this;
  }

  /** For the subclasses' messages: the two operators joined. */
  protected get where(): string {
    return after(this.first as DataStream<unknown>, this.second as DataStream<unknown>);
  }

  protected build<R>(computation: WindowComputation): DataStream<R> {
    const spec: WindowSpec = {
      kind: 'window',
      assigner: this.assigner as WindowAssigner<Window>,
      trigger: this.trig as Trigger<Window>,
      allowedLateness: this.lateness,
      lateTag: undefined,
      computation,
      fastPaths: this.fast,
    };
    checkWindowSpec(spec, `window ${this.kind} over ${this.assigner.fingerprint}`);
    const graph = this.first.graph;
    const node = graph.add({
      kind: 'coProcess',
      inputs: [this.first.keyBy(this.key1).inputEdge(), this.second.keyBy(this.key2).inputEdge()],
      spec,
      specFingerprint: `${this.kind}:${windowFingerprint(spec)}`,
    });
    return new DataStream<R>(graph, node);
  }
}

export class WindowedJoin<A, B, K extends UserKey, W extends Window> extends TwoInputWindowing<A, B, K, W> {
  protected readonly kind = 'join';

  /** `fn(left, right)` per pair, its result emitted. */
  apply<R>(fn: JoinFunction<A, B, R>): DataStream<R>;
  /** `{ join(left, right, out) }` per pair, emitting any number: name R (apply<R>) or annotate `out: Collector<R>`. */
  apply<R = OutputTypeHint>(fn: FlatJoinFunction<A, B, R>): DataStream<R>;
  apply<R>(fn: JoinFunction<A, B, R> | FlatJoinFunction<A, B, R>): DataStream<R> {
    if (typeof fn !== 'function' && typeof (fn as Partial<FlatJoinFunction<A, B, R>> | null)?.join !== 'function') {
      throw new JobDefinitionError(`join apply${this.where}: expected a function (left, right) => result or an object with join(left, right, out), got ${fn === null ? 'null' : typeof fn}`);
    }
    return this.build<R>({ kind: 'join', join: fn as JoinFunction<unknown, unknown, unknown> | FlatJoinFunction<unknown, unknown, unknown> });
  }
}

export class WindowedCoGroup<A, B, K extends UserKey, W extends Window> extends TwoInputWindowing<A, B, K, W> {
  protected readonly kind = 'coGroup';

  /** `fn(lefts, rights, out)` once per key and window that has records (either side may be empty). */
  apply<R = OutputTypeHint>(fn: CoGroupFunction<A, B, R>): DataStream<R> {
    if (typeof fn !== 'function') throw new JobDefinitionError(`coGroup apply${this.where}: expected a function (lefts, rights, out) => void, got ${typeof fn}`);
    return this.build<R>({ kind: 'coGroup', coGroup: fn as CoGroupFunction<unknown, unknown, unknown> });
  }
}
